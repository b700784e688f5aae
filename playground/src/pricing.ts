import type { LineItem } from './catalog'
import { PRODUCTS } from './catalog'

const VAT = 0.2

export async function price(items: LineItem[]) {
  'use femto'
  const net = items.reduce((sum, item) => sum + (PRODUCTS[item.sku]?.cents ?? 0) * item.qty, 0)
  const vat = Math.round(net * VAT)
  return { net, vat, total: net + vat, servedBy: process.pid }
}
