// audit(event) exported as []
async function audit(event: string) {
  
  return `audited ${event}`
}

export async function record(event: string) {
  return audit(event)
}

export { audit as __femto$audit };
