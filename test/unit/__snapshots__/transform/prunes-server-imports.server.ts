// charge(cents, card) exported as [charge]
import Stripe from 'stripe'
import { createHash } from 'node:crypto'
import './polyfills'
import { currency, formatPrice } from './money'

const STRIPE_SECRET = 'sk_live_51Hxyz'
const stripe = new Stripe(STRIPE_SECRET)
const client = { stripe }

function digest(text: string) {
  return createHash('sha256').update(text).digest('hex')
}

export async function charge(cents: number, card: string) {
  
  const id = digest(card)
  return client.stripe.charges.create({ amount: cents, currency: currency(), source: id })
}

export function label(cents: number) {
  return formatPrice(cents)
}
