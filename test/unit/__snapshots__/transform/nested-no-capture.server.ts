// runJob(id) exported as [] nested
import { log } from './log'

const PREFIX = 'job:'

export function schedule(name: string) {
  async function runJob(id: string) {
    
    return `${PREFIX}${id}`
  }
  log(name)
  return runJob(name)
}

// A top-level export of the same name is another binding: the nested service is not exported by it.
export const runJob = (id: string) => `local ${id}`

export const __femto$runJob = async function runJob(id: string) {
    
    return `${PREFIX}${id}`
  };
