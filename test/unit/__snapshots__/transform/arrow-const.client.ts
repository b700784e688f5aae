// multiply(a, b?) exported as [multiply]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
export const multiply = function(...args) { return __femto_call({"name":"multiply","route":"/femto/multiply"}, args) }
