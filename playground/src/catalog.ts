/** Shared by the page and the services: plain data, no directive. */
export interface LineItem { sku: string, qty: number }

export const PRODUCTS: Record<string, { name: string, cents: number }> = {
  mug: { name: 'Mug', cents: 1200 },
  tee: { name: 'T-shirt', cents: 2500 },
  poster: { name: 'Poster', cents: 850 },
}
