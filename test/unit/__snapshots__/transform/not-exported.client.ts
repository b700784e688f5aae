// audit(event) exported as []
import { callFemto as __femto_call } from "unplugin-femto/runtime";
function audit(...args) { return __femto_call({"name":"audit","route":"/femto/audit"}, args) }

export async function record(event: string) {
  return audit(event)
}
