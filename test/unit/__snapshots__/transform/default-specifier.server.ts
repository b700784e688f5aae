// tally(by) exported as [default]
const tally = async (by: number) => {
  
  return by
}

export { tally as default }
