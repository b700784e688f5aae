// A plain proxy hop, to compare `femto up`'s gateway with: node:http in, undici's pool of
// kept-alive connections out to TARGET (as the gateway's; over the service's Unix socket SOCKET
// when there is one, as the gateway reaches femto up's services), with the token femto up's
// services take; the body read whole (as the gateway keeps a small one it may send again), the
// answer streamed back; nothing else (no routing table, limits, retries or logs).
import http from 'node:http'
import { Pool } from 'undici'

const pool = new Pool(process.env.TARGET, { connections: 256, socketPath: process.env.SOCKET || undefined })
const authorization = `Bearer ${process.env.TOKEN}`

const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', chunk => chunks.push(chunk))
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
    pool.stream({ path: req.url, method: req.method, headers: { ...req.headers, authorization }, body }, ({ statusCode, headers }) => {
      res.writeHead(statusCode, headers)
      return res
    }, (error) => {
      if (error && !res.headersSent)
        res.writeHead(502).end()
    })
  })
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
