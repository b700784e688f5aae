// tally(by) exported as [default]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
const tally = (__FEMTO_HOSTED_tally__ ? (async (by: number) => {
  
  return by
}) : function(...args) { return __femto_call({"name":"tally","route":"/femto/tally","port":3101}, args) })

export { tally as default }
