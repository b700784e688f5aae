// load(path) exported as [load]
// save(path, data) exported as [save]
// remove(path) exported as [remove]

import { callService as __femto_call } from "unplugin-femto/runtime/server";

import { readFile } from 'node:fs/promises'
import { connect } from './db'

const API_KEY = (__FEMTO_HOSTED_load__ || __FEMTO_HOSTED_remove__ || __FEMTO_HOSTED_save__) ? ('sk_live_file_level') : undefined
const pool = (__FEMTO_HOSTED_load__ || __FEMTO_HOSTED_remove__ || __FEMTO_HOSTED_save__) ? (connect(API_KEY)) : undefined

if (__FEMTO_HOSTED_load__ || __FEMTO_HOSTED_remove__ || __FEMTO_HOSTED_save__) { console.log('server module loaded') }

function helper(path: string) {
  return readFile(path, 'utf8')
}

export const load = __FEMTO_HOSTED_load__ ? async function load(path: string) {
  return pool.query(await helper(path))
} : function load(...args) { return __femto_call({"name":"load","route":"/femto/load","port":3101}, args) };

export const save = (__FEMTO_HOSTED_save__ ? (async (path: string, data: string) => pool.write(path, data)) : function(...args) { return __femto_call({"name":"save","route":"/femto/save","port":3101}, args) })

const remove = __FEMTO_HOSTED_remove__ ? async function remove(path: string) {
  return pool.remove(path)
} : function remove(...args) { return __femto_call({"name":"remove","route":"/femto/remove","port":3101}, args) };

export { remove }

export type Row = { id: number }
export interface Table { rows: Row[] }
