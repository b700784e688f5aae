// load(path) exported as [load]
// save(path, data) exported as [save]
// remove(path) exported as [remove]

import { callFemto as __femto_call } from "unplugin-femto/runtime";











export function load(...args) { return __femto_call({"name":"load","route":"/femto/load"}, args) }

export const save = function(...args) { return __femto_call({"name":"save","route":"/femto/save"}, args) }

function remove(...args) { return __femto_call({"name":"remove","route":"/femto/remove"}, args) }

export { remove }



