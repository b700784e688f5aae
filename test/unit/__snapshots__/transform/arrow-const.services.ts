// multiply(a, b?) exported as [multiply]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
export const multiply = (__FEMTO_HOSTED_multiply__ ? (async (a: number, b = 2) => {
  
  return a * b
}) : function(...args) { return __femto_call({"name":"multiply","route":"/femto/multiply","port":3101}, args) })
