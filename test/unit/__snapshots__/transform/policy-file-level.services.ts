// listOrders() exported as [listOrders] policy {"retries":2,"backoffMs":50}
// getOrder(id) exported as [getOrder] policy {"retries":0,"backoffMs":50,"timeoutMs":500}


import { callService as __femto_call } from "unplugin-femto/runtime/server";

import { db } from './db'

export const listOrders = __FEMTO_HOSTED_listOrders__ ? async function listOrders() {
  return db.orders()
} : function listOrders(...args) { return __femto_call({"name":"listOrders","route":"/femto/listOrders","port":3101}, args) };

export const getOrder = __FEMTO_HOSTED_getOrder__ ? async function getOrder(id: string) {
  
  return db.order(id)
} : function getOrder(...args) { return __femto_call({"name":"getOrder","route":"/femto/getOrder","port":3101}, args) };
