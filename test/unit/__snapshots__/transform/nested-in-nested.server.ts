// outer(x) exported as [outer]
// inner(y) exported as [] nested
export async function outer(x: number) {
  
  async function inner(y: number) {
    
    return y * 2
  }
  return inner(x)
}

export const __femto$inner = async function inner(y: number) {
    
    return y * 2
  };
