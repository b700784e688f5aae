// tally(by) exported as [default]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
const tally = function(...args) { return __femto_call({"name":"tally","route":"/femto/tally"}, args) }

export { tally as default }
