// unplugin-femto/handler in-process (the functions of router.js), behind the few lines of node:http ↔
// Request/Response a framework's Node adapter has (SvelteKit's adapter-node, @hono/node-server, …).
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'

const { createFemtoHandler } = await import(join(import.meta.dirname, '../../dist/runtime/handler.js'))
const handler = createFemtoHandler({ mode: 'in-process', manifest: join(dirname(process.argv[2]), 'femto.json') })

function toRequest(req) {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers))
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: hasBody ? Readable.toWeb(req) : undefined, duplex: 'half' })
}

async function send(res, response) {
  res.writeHead(response.status, Object.fromEntries(response.headers))
  if (!response.body)
    return res.end()
  const reader = response.body.getReader()
  for (let step = await reader.read(); !step.done; step = await reader.read())
    res.write(step.value)
  res.end()
}

const server = createServer(async (req, res) => {
  const response = await handler(toRequest(req))
  if (!response) {
    res.writeHead(404).end()
    return
  }
  await send(res, response)
})
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
