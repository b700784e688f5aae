// multiply(a, b?) exported as [multiply]
export const multiply = async (a: number, b = 2) => {
  
  return a * b
}
