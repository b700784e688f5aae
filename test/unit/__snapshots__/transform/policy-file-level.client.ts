// listOrders() exported as [listOrders] policy {"retries":2,"backoffMs":50}
// getOrder(id) exported as [getOrder] policy {"retries":0,"backoffMs":50,"timeoutMs":500}


import { callFemto as __femto_call } from "unplugin-femto/runtime";



export function listOrders(...args) { return __femto_call({"name":"listOrders","route":"/femto/listOrders"}, args) }

export function getOrder(...args) { return __femto_call({"name":"getOrder","route":"/femto/getOrder"}, args) }
