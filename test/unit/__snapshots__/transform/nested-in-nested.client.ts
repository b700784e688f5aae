// outer(x) exported as [outer]
// inner(y) exported as [] nested
import { callFemto as __femto_call } from "unplugin-femto/runtime";
export function outer(...args) { return __femto_call({"name":"outer","route":"/femto/outer"}, args) }
