// tally(by) exported as [default]
async function tally(by: number) {
  
  return by
}

export default tally
