// shout(text, ...marks) exported as [shout]
export function shout(text: string, ...marks: string[]) {
  
  return text.toUpperCase() + marks.join('')
}
