// charge(cents) exported as [charge]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import { send } from './mailer'

// Used only by the function: both go from the browser, with the import.
namespace Stripe {
  export const secretKey = 'sk_live_namespace_only'
  export const endpoint = 'https://api.stripe.com/v1/charges'
}

enum Plan {
  Free = 'free',
  Pro = 'pro',
}

// Used by the page too: both stay.
namespace Labels {
  export const title = 'Checkout'
}

export enum Currency {
  Eur = 'EUR',
}

export const heading = `${Labels.title} (${Currency.Eur})`

export const charge = __FEMTO_HOSTED_charge__ ? async function charge(cents: number) {
  
  await send(Stripe.endpoint, Stripe.secretKey, Plan.Pro)
  return cents
} : function charge(...args) { return __femto_call({"name":"charge","route":"/femto/charge","port":3101}, args) };
