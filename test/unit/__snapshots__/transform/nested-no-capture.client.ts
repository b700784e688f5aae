// runJob(id) exported as [] nested
import { callFemto as __femto_call } from "unplugin-femto/runtime";
import { log } from './log'



export function schedule(name: string) {
  function runJob(...args) { return __femto_call({"name":"runJob","route":"/femto/runJob"}, args) }
  log(name)
  return runJob(name)
}

// A top-level export of the same name is another binding: the nested service is not exported by it.
export const runJob = (id: string) => `local ${id}`
