// add(a, b) exported as [add]
import { db } from './db'
import { format } from './format'

// One statement declares a server-only helper, a femto function and client code.
const helper = () => db.read(), add = async (a: number, b: number) => {
  
  return helper() + a + b
}, label = (n: number) => format(n)

export { add, label }
