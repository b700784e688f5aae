import type { DeployedService } from './model'
import { GATEWAY_PORT } from './model'

/** nginx configuration as a tree: a directive with arguments, or a block of more. */
export interface NginxDirective {
  name: string
  args: string[]
  block?: NginxDirective[]
}

/** Filled in by the image's envsubst when the container starts. */
const TOKEN = `\${FEMTO_TOKEN}`

const d = (name: string, ...args: string[]): NginxDirective => ({ name, args })
const b = (name: string, args: string[], block: NginxDirective[]): NginxDirective => ({ name, args, block })
const jsonReturn = (status: number, body: unknown): NginxDirective[] => [d('default_type', 'application/json'), d('return', String(status), JSON.stringify(body))]

/**
 * What the `femto up` gateway does, in nginx: `{basePath}/{name}` to the service that hosts it (by
 * its Compose / Kubernetes name), 404 JSON for other function paths, the client build with the
 * single-page fallback, and `/healthz`. Calls are streamed both ways (no buffering, so NDJSON
 * streams flow and each service enforces its own `bodyLimit`). The browser's `Authorization` is
 * moved to `x-femto-authorization` and `FEMTO_TOKEN` (filled in when the container starts) takes
 * its place; `x-femto-internal` from outside is dropped.
 */
export function gatewayConfig(services: DeployedService[], basePath: string): NginxDirective[] {
  const proxy = (service: DeployedService): NginxDirective[] => [
    d('proxy_pass', `http://${service.id}:${service.port}`),
    d('proxy_http_version', '1.1'),
    d('proxy_set_header', 'Connection', ''),
    d('proxy_set_header', 'Host', '$proxy_host'),
    d('proxy_set_header', 'X-Forwarded-Host', '$http_host'),
    d('proxy_set_header', 'X-Forwarded-For', '$proxy_add_x_forwarded_for'),
    d('proxy_set_header', 'X-Femto-Internal', ''),
    d('proxy_set_header', 'X-Femto-Authorization', '$http_authorization'),
    d('proxy_set_header', 'Authorization', '$femto_authorization'),
    d('proxy_request_buffering', 'off'),
    d('proxy_buffering', 'off'),
    d('proxy_read_timeout', '1h'),
  ]
  return [
    // The token is filled in by the image's envsubst at start; empty means no token.
    b('map', [TOKEN, '$femto_authorization'], [d('""', '""'), d('default', `Bearer ${TOKEN}`)]),
    b('server', [], [
      d('listen', String(GATEWAY_PORT)),
      d('root', '/usr/share/nginx/html'),
      d('client_max_body_size', '0'),
      d('server_tokens', 'off'),
      b('location', ['=', '/healthz'], jsonReturn(200, { status: 'ok', service: 'gateway' })),
      ...services.flatMap(service => service.routes.map(route => b('location', ['=', route], proxy(service)))),
      b('location', [`${basePath}/`], jsonReturn(404, { error: { code: 'NOT_FOUND', message: `no femto function at this path under ${basePath}` } })),
      b('location', ['/'], [d('try_files', '$uri', '$uri/', '/index.html')]),
      // nginx's own 502/504 (the service did not answer) in the error shape stubs read.
      d('error_page', '502', '504', '@unavailable'),
      b('location', ['@unavailable'], jsonReturn(502, { error: { code: 'UNAVAILABLE', message: 'the service did not answer' } })),
    ]),
  ]
}

function quote(arg: string): string {
  if (arg === '""' || /^[\w$/.:@=*-]+$/.test(arg))
    return arg
  return `'${arg.replace(/\\/g, '\\\\').replace(/'/g, '\\\'')}'`
}

export function renderNginx(config: NginxDirective[], comment: string[] = [], indent = ''): string {
  const head = comment.map(line => `# ${line}\n`).join('')
  return head + config.map((directive) => {
    const line = `${indent}${[directive.name, ...directive.args.map(quote)].join(' ')}`
    return directive.block ? `${line} {\n${renderNginx(directive.block, [], `${indent}  `)}${indent}}\n` : `${line};\n`
  }).join('')
}
