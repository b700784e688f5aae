// lookup(id) exported as [lookup]
// fetchOne(id) exported as [fetchOne]
type Handler = (id: string) => Promise<string>

export const lookup = (async (id: string) => {
  
  return id.trim()
}) satisfies Handler

export const fetchOne = <Handler>(async function (id: string) {
  
  return id
})
