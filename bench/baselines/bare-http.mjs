// The limit: the same work as the generated `add` service, on bare node:http, nothing else.
import { createServer } from 'node:http'

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/femto/add') {
    res.writeHead(404)
    res.end()
    return
  }
  const chunks = []
  req.on('data', chunk => chunks.push(chunk))
  req.on('end', () => {
    const [a, b] = JSON.parse(Buffer.concat(chunks).toString())
    const body = JSON.stringify(a + b)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
