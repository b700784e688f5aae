// lookup(id) exported as [lookup]
// fetchOne(id) exported as [fetchOne]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
type Handler = (id: string) => Promise<string>

export const lookup = ((__FEMTO_HOSTED_lookup__ ? (async (id: string) => {
  
  return id.trim()
}) : function(...args) { return __femto_call({"name":"lookup","route":"/femto/lookup","port":3101}, args) })) satisfies Handler

export const fetchOne = <Handler>((__FEMTO_HOSTED_fetchOne__ ? (async function (id: string) {
  
  return id
}) : function(...args) { return __femto_call({"name":"fetchOne","route":"/femto/fetchOne","port":3101}, args) }))
