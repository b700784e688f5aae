'use femto'
// Charging must never run twice: retried only when the payments service surely never saw the call.
'femto retries=2 idempotent=false timeoutMs=5000'
// A whole module of server code: every export is a service, nothing here reaches the browser.
import { createHash } from 'node:crypto'

const MERCHANT_SECRET = 'sk_live_playground_9d2e71'

export async function charge(amountCents: number, card: string) {
  const digits = card.replace(/\D/g, '')
  if (digits.length < 12)
    throw Object.assign(new Error('card number is too short'), { name: 'PaymentError', code: 'CARD_DECLINED' })
  const receipt = createHash('sha256').update(`${MERCHANT_SECRET}:${digits}:${amountCents}`).digest('hex').slice(0, 12)
  return { receipt, amountCents, last4: digits.slice(-4), servedBy: process.pid }
}
