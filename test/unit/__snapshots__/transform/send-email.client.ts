// sendEmail(to) exported as [default]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
// An anonymous default export is named after its file: send-email.ts → sendEmail.
export default function(...args) { return __femto_call({"name":"sendEmail","route":"/femto/sendEmail"}, args) }
