// tally(by) exported as [default]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
function tally(...args) { return __femto_call({"name":"tally","route":"/femto/tally"}, args) }

export default tally
