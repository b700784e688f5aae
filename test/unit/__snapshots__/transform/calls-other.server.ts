// sumThree(a, b, c) exported as [sumThree]
// countdown(n) exported as [countdown]
import { add } from './function-declaration'

export async function sumThree(a: number, b: number, c: number) {
  
  return add(await add(a, b), c)
}

export async function countdown(n: number): Promise<number[]> {
  
  return n <= 0 ? [0] : [n, ...await countdown(n - 1)]
}
