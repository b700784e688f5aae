// strict(value) exported as [strict]
export async function strict(value: unknown) {
  'use strict'
  
  return typeof value
}
