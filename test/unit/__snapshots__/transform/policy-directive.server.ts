// charge(amount) exported as [charge] policy {"retries":3,"idempotent":false,"timeoutMs":2000}
// refund(id) exported as [refund] policy {"concurrency":5,"bodyLimit":"2kb","breakerFailures":null}
import { gateway } from './payments'

/** Must not run twice: retried only when the call surely never reached it. */
export async function charge(amount: number) {
  
  
  return gateway.charge(amount)
}

export const refund = async (id: string) => {
  
  'use strict'
  
  return gateway.refund(id)
}
