// outer(x) exported as [outer]
// inner(y) exported as [] nested
import { callService as __femto_call } from "unplugin-femto/runtime/server";
export const outer = __FEMTO_HOSTED_outer__ ? async function outer(x: number) {
  
  const inner = __FEMTO_HOSTED_inner__ ? async function inner(y: number) {
    
    return y * 2
  } : function inner(...args) { return __femto_call({"name":"inner","route":"/femto/inner","port":3101}, args) };
  return inner(x)
} : function outer(...args) { return __femto_call({"name":"outer","route":"/femto/outer","port":3101}, args) };

export const __femto$inner = __FEMTO_HOSTED_inner__ ? async function inner(y: number) {
    
    return y * 2
  } : undefined;
