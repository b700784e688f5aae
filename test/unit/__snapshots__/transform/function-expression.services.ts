// divide(a, b) exported as [divide]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
export const divide = (__FEMTO_HOSTED_divide__ ? (async function divideImpl(a: number, b: number) {
  
  return a / b
}) : function(...args) { return __femto_call({"name":"divide","route":"/femto/divide","port":3101}, args) })
