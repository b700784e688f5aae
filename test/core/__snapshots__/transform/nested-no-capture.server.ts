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

export const __femto$runJob = async function runJob(id: string) {
    
    return `${PREFIX}${id}`
  };
