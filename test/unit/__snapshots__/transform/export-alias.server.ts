// checkStock(arg0, arg1) exported as [checkStock]
function internal({ sku }: { sku: string }, [qty]: number[]) {
  
  return `${sku}:${qty}`
}

export { internal as checkStock }
