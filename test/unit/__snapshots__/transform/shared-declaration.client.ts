// add(a, b) exported as [add]
import { callFemto as __femto_call } from "unplugin-femto/runtime";

import { format } from './format'

// One statement declares a server-only helper, a femto function and client code.
const add = function(...args) { return __femto_call({"name":"add","route":"/femto/add"}, args) }, label = (n: number) => format(n);

export { add, label }
