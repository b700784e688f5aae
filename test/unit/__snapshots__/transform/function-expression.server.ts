// divide(a, b) exported as [divide]
export const divide = async function divideImpl(a: number, b: number) {
  
  return a / b
}
