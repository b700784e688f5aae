// lookup(id) exported as [lookup]
// fetchOne(id) exported as [fetchOne]
import { callFemto as __femto_call } from "unplugin-femto/runtime";
type Handler = (id: string) => Promise<string>

export const lookup = (function(...args) { return __femto_call({"name":"lookup","route":"/femto/lookup"}, args) }) satisfies Handler

export const fetchOne = <Handler>(function(...args) { return __femto_call({"name":"fetchOne","route":"/femto/fetchOne"}, args) })
