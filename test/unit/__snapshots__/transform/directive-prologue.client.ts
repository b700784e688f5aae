// strict(value) exported as [strict]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
export function strict(...args) { return __femto_call({"name":"strict","route":"/femto/strict"}, args) }
