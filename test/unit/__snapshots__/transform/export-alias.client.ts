// checkStock(arg0, arg1) exported as [checkStock]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
function internal(...args) { return __femto_call({"name":"checkStock","route":"/femto/checkStock"}, args) }

export { internal as checkStock }
