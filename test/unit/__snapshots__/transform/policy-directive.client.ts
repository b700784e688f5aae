// charge(amount) exported as [charge] policy {"retries":3,"idempotent":false,"timeoutMs":2000}
// refund(id) exported as [refund] policy {"concurrency":5,"bodyLimit":"2kb","breakerFailures":null}
import { callFemto as __femto_call } from "unplugin-femto/runtime";


/** Must not run twice: retried only when the call surely never reached it. */
export function charge(...args) { return __femto_call({"name":"charge","route":"/femto/charge"}, args) }

export const refund = function(...args) { return __femto_call({"name":"refund","route":"/femto/refund"}, args) }
