// add(a, b) exported as [add]
import { callFemto as __femto_call } from "unplugin-femto/runtime";

import { formatCents } from './format'

export function add(...args) { return __femto_call({"name":"add","route":"/femto/add"}, args) }

export function price(cents: number) {
  return formatCents(cents)
}
