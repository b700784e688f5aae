import type { LineItem } from './catalog'
import { sendConfirmation } from './email'
import { charge } from './payments'
import { price } from './pricing'
import { checkStock } from './stock'

let sequence = 1000

/** Calls four other services; each call is an HTTP request in split mode. */
export async function placeOrder(item: LineItem, email: string, card: string) {
  'use femto'
  const stock = await checkStock(item.sku, item.qty)
  const quote = await price([item])
  const payment = await charge(quote.total, card)
  const orderId = `A-${++sequence}`
  const mail = await sendConfirmation(email, orderId)
  return { orderId, stock, quote, payment, mail, servedBy: process.pid }
}
