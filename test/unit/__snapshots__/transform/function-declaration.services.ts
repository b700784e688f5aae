// add(a, b) exported as [add]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import { sql } from './db'
import { formatCents } from './format'

export const add = __FEMTO_HOSTED_add__ ? async function add(a: number, b: number): Promise<number> {
  
  const [row] = await sql`select ${a} + ${b} as sum`
  return row.sum
} : function add(...args) { return __femto_call({"name":"add","route":"/femto/add","port":3101}, args) };

export function price(cents: number) {
  return formatCents(cents)
}
