// divide(a, b) exported as [divide]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
export const divide = function(...args) { return __femto_call({"name":"divide","route":"/femto/divide"}, args) }
