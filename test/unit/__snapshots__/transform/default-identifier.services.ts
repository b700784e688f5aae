// tally(by) exported as [default]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
const tally = __FEMTO_HOSTED_tally__ ? async function tally(by: number) {
  
  return by
} : function tally(...args) { return __femto_call({"name":"tally","route":"/femto/tally","port":3101}, args) };

export default tally
