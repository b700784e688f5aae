// sendEmail(to) exported as [default]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
// An anonymous default export is named after its file: send-email.ts → sendEmail.
export default (__FEMTO_HOSTED_sendEmail__ ? (async (to: string) => {
  
  return { sent: to }
}) : function(...args) { return __femto_call({"name":"sendEmail","route":"/femto/sendEmail","port":3101}, args) })
