// ticks(n) exported as [ticks]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
export const ticks = __FEMTO_HOSTED_ticks__ ? async function* ticks(n: number): AsyncGenerator<number> {
  
  for (let i = 0; i < n; i++) yield i
} : function ticks(...args) { return __femto_call({"name":"ticks","route":"/femto/ticks","port":3101}, args) };
