// sumThree(a, b, c) exported as [sumThree]
// countdown(n) exported as [countdown]
import { callFemto as __femto_call } from "unplugin-femto/runtime";


export function sumThree(...args) { return __femto_call({"name":"sumThree","route":"/femto/sumThree"}, args) }

export function countdown(...args) { return __femto_call({"name":"countdown","route":"/femto/countdown"}, args) }
