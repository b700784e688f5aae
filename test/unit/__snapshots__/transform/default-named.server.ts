// tally(by?) exported as [default]
export default async function tally(by?: number) {
  
  return by ?? 1
}
