// add(a, b) exported as [add]
import { sql } from './db'
import { formatCents } from './format'

export async function add(a: number, b: number): Promise<number> {
  
  const [row] = await sql`select ${a} + ${b} as sum`
  return row.sum
}

export function price(cents: number) {
  return formatCents(cents)
}
