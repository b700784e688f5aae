// load(path) exported as [load]
// save(path, data) exported as [save]
// remove(path) exported as [remove]

import { readFile } from 'node:fs/promises'
import { connect } from './db'

const API_KEY = 'sk_live_file_level'
const pool = connect(API_KEY)

console.log('server module loaded')

function helper(path: string) {
  return readFile(path, 'utf8')
}

export async function load(path: string) {
  return pool.query(await helper(path))
}

export const save = async (path: string, data: string) => pool.write(path, data)

async function remove(path: string) {
  return pool.remove(path)
}

export { remove }

export type Row = { id: number }
export interface Table { rows: Row[] }
