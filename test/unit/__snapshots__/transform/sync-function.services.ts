// shout(text, ...marks) exported as [shout]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
export const shout = __FEMTO_HOSTED_shout__ ? function shout(text: string, ...marks: string[]) {
  
  return text.toUpperCase() + marks.join('')
} : function shout(...args) { return __femto_call({"name":"shout","route":"/femto/shout","port":3101}, args) };
