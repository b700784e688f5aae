// shout(text, ...marks) exported as [shout]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
export function shout(...args) { return __femto_call({"name":"shout","route":"/femto/shout"}, args) }
