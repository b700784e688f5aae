// charge(cents, card) exported as [charge]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import Stripe from 'stripe'
import { createHash } from 'node:crypto'
import './polyfills'
import { currency, formatPrice } from './money'

const STRIPE_SECRET = (__FEMTO_HOSTED_charge__) ? ('sk_live_51Hxyz') : undefined
const stripe = (__FEMTO_HOSTED_charge__) ? (new Stripe(STRIPE_SECRET)) : undefined
const client = (__FEMTO_HOSTED_charge__) ? ({ stripe }) : undefined

function digest(text: string) {
  return createHash('sha256').update(text).digest('hex')
}

export const charge = __FEMTO_HOSTED_charge__ ? async function charge(cents: number, card: string) {
  
  const id = digest(card)
  return client.stripe.charges.create({ amount: cents, currency: currency(), source: id })
} : function charge(...args) { return __femto_call({"name":"charge","route":"/femto/charge","port":3101}, args) };

export function label(cents: number) {
  return formatPrice(cents)
}
