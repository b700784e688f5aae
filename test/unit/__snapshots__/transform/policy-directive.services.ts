// charge(amount) exported as [charge] policy {"retries":3,"idempotent":false,"timeoutMs":2000}
// refund(id) exported as [refund] policy {"concurrency":5,"bodyLimit":"2kb","breakerFailures":null}
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import { gateway } from './payments'

/** Must not run twice: retried only when the call surely never reached it. */
export const charge = __FEMTO_HOSTED_charge__ ? async function charge(amount: number) {
  
  
  return gateway.charge(amount)
} : function charge(...args) { return __femto_call({"name":"charge","route":"/femto/charge","port":3101}, args) };

export const refund = (__FEMTO_HOSTED_refund__ ? (async (id: string) => {
  
  'use strict'
  
  return gateway.refund(id)
}) : function(...args) { return __femto_call({"name":"refund","route":"/femto/refund","port":3101}, args) })
