// charge(cents) exported as [charge]
import { callFemto as __femto_call } from "unplugin-femto/runtime";


// Used only by the function: both go from the browser, with the import.




// Used by the page too: both stay.
namespace Labels {
  export const title = 'Checkout'
}

export enum Currency {
  Eur = 'EUR',
}

export const heading = `${Labels.title} (${Currency.Eur})`

export function charge(...args) { return __femto_call({"name":"charge","route":"/femto/charge"}, args) }
