// add(a, b) exported as [add]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import { db } from './db'
import { format } from './format'

// One statement declares a server-only helper, a femto function and client code.
const helper = (__FEMTO_HOSTED_add__) ? (() => db.read()) : undefined, add = (__FEMTO_HOSTED_add__ ? (async (a: number, b: number) => {
  
  return helper() + a + b
}) : function(...args) { return __femto_call({"name":"add","route":"/femto/add","port":3101}, args) }), label = (n: number) => format(n)

export { add, label }
