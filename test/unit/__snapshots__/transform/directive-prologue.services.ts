// strict(value) exported as [strict]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
export const strict = __FEMTO_HOSTED_strict__ ? async function strict(value: unknown) {
  'use strict'
  
  return typeof value
} : function strict(...args) { return __femto_call({"name":"strict","route":"/femto/strict","port":3101}, args) };
