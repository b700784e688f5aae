// ticks(n) exported as [ticks]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
export function ticks(...args) { return __femto_call({"name":"ticks","route":"/femto/ticks"}, args) }
