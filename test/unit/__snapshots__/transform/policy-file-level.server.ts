// listOrders() exported as [listOrders] policy {"retries":2,"backoffMs":50}
// getOrder(id) exported as [getOrder] policy {"retries":0,"backoffMs":50,"timeoutMs":500}


import { db } from './db'

export async function listOrders() {
  return db.orders()
}

export async function getOrder(id: string) {
  
  return db.order(id)
}
