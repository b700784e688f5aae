/**
 * The environment variable that says where a service runs: `FEMTO_URL_<SERVICE>`, and
 * `FEMTO_URL_<SERVICE>__<contract>` for its previous version serving that contract (version
 * skew). The build writes these names, and services, gateways and the handler read them.
 */
export function serviceUrlVariable(service: string, contract?: string): string {
  return contract === undefined ? `FEMTO_URL_${upperSnake(service)}` : `FEMTO_URL_${upperSnake(service)}__${contract}`
}

/** `inStock` → `IN_STOCK`, `getHTTPStatus` → `GET_HTTP_STATUS`: the suffix of `FEMTO_URL_<NAME>`. */
export function upperSnake(name: string): string {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/\$/g, '_')
    .toUpperCase()
}
