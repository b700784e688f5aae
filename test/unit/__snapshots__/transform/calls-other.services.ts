// sumThree(a, b, c) exported as [sumThree]
// countdown(n) exported as [countdown]
import { callService as __femto_call } from "unplugin-femto/runtime/server";
import { add } from './function-declaration'

export const sumThree = __FEMTO_HOSTED_sumThree__ ? async function sumThree(a: number, b: number, c: number) {
  
  return add(await add(a, b), c)
} : function sumThree(...args) { return __femto_call({"name":"sumThree","route":"/femto/sumThree","port":3101}, args) };

export const countdown = __FEMTO_HOSTED_countdown__ ? async function countdown(n: number): Promise<number[]> {
  
  return n <= 0 ? [0] : [n, ...await countdown(n - 1)]
} : function countdown(...args) { return __femto_call({"name":"countdown","route":"/femto/countdown","port":3101}, args) };
