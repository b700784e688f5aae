import type { LineItem } from './catalog'
import { FemtoError } from 'unplugin-femto/runtime'
import { PRODUCTS } from './catalog'
import { placeOrder } from './orders'
import { price } from './pricing'
import { checkStock } from './stock'

const form = document.querySelector<HTMLFormElement>('#order')!
const log = document.querySelector<HTMLOListElement>('#log')!
const euros = (cents: number): string => `€${(cents / 100).toFixed(2)}`

function item(): LineItem {
  const data = new FormData(form)
  return { sku: String(data.get('sku')), qty: Number(data.get('qty')) }
}

function show(text: string, kind: 'ok' | 'error' = 'ok'): void {
  const li = document.createElement('li')
  li.className = kind
  li.dataset.testid = kind
  li.textContent = text
  log.prepend(li)
}

async function run(label: string, action: () => Promise<string>): Promise<void> {
  try {
    show(`${label}: ${await action()}`)
  }
  catch (error) {
    const detail = error instanceof FemtoError ? `${error.code} (HTTP ${error.status}): ${error.message}` : String(error)
    show(`${label} failed: ${detail}`, 'error')
  }
}

document.querySelector('#check')!.addEventListener('click', () => run('checkStock', async () => {
  const { sku, qty } = item()
  const stock = await checkStock(sku, qty)
  return `${stock.available} ${PRODUCTS[sku]?.name ?? sku} in stock`
}))

document.querySelector('#quote')!.addEventListener('click', () => run('price', async () => {
  const quote = await price([item()])
  return `${euros(quote.net)} + ${euros(quote.vat)} VAT = ${euros(quote.total)}`
}))

form.addEventListener('submit', (event) => {
  event.preventDefault()
  const data = new FormData(form)
  void run('placeOrder', async () => {
    const order = await placeOrder(item(), String(data.get('email')), String(data.get('card')))
    const pids = new Set([order.servedBy, order.stock.servedBy, order.quote.servedBy, order.payment.servedBy, order.mail.servedBy])
    return `order ${order.orderId} confirmed: ${euros(order.payment.amountCents)} charged to card ending ${order.payment.last4}, receipt ${order.payment.receipt}, email "${order.mail.subject}" (served by ${pids.size} processes)`
  })
})
