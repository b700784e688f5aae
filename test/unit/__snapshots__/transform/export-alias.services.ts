// checkStock(arg0, arg1) exported as [checkStock]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
const internal = __FEMTO_HOSTED_checkStock__ ? function internal({ sku }: { sku: string }, [qty]: number[]) {
  
  return `${sku}:${qty}`
} : function internal(...args) { return __femto_call({"name":"checkStock","route":"/femto/checkStock","port":3101}, args) };

export { internal as checkStock }
