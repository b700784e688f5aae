const INVENTORY: Record<string, number> = { mug: 40, tee: 12, poster: 1 }

export async function checkStock(sku: string, qty: number) {
  'use femto'
  'femto retries=3'
  const available = INVENTORY[sku] ?? 0
  if (available < qty) {
    throw Object.assign(new Error(`only ${available} ${sku} left, ${qty} wanted`), {
      name: 'StockError',
      code: 'OUT_OF_STOCK',
      available,
    })
  }
  return { sku, available, servedBy: process.pid }
}
