// runJob(id) exported as [] nested
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import { log } from './log'

const PREFIX = (__FEMTO_HOSTED_runJob__) ? ('job:') : undefined

export function schedule(name: string) {
  const runJob = __FEMTO_HOSTED_runJob__ ? async function runJob(id: string) {
    
    return `${PREFIX}${id}`
  } : function runJob(...args) { return __femto_call({"name":"runJob","route":"/femto/runJob","port":3101}, args) };
  log(name)
  return runJob(name)
}

// A top-level export of the same name is another binding: the nested service is not exported by it.
export const runJob = (id: string) => `local ${id}`

export const __femto$runJob = __FEMTO_HOSTED_runJob__ ? async function runJob(id: string) {
    
    return `${PREFIX}${id}`
  } : undefined;
