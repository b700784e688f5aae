// audit(event) exported as []
import { callService as __femto_call } from "unplugin-femto/runtime/server";
const audit = __FEMTO_HOSTED_audit__ ? async function audit(event: string) {
  
  return `audited ${event}`
} : function audit(...args) { return __femto_call({"name":"audit","route":"/femto/audit","port":3101}, args) };

export async function record(event: string) {
  return audit(event)
}

export { audit as __femto$audit };
