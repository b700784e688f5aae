// ticks(n) exported as [ticks]
export async function* ticks(n: number): AsyncGenerator<number> {
  
  for (let i = 0; i < n; i++) yield i
}
