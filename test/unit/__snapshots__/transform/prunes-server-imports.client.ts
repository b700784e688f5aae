// charge(cents, card) exported as [charge]
import { callFemto as __femto_call } from "unplugin-femto/runtime";


import './polyfills'
import { formatPrice } from './money'







export function charge(...args) { return __femto_call({"name":"charge","route":"/femto/charge"}, args) }

export function label(cents: number) {
  return formatPrice(cents)
}
