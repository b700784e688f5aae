// Room for a few thousand services, with few enough collisions that ports rarely move.
export const PORT_RANGE = 4999
const RANGE = PORT_RANGE

/** FNV-1a: tiny, stable across Node versions and platforms. */
function hash(text: string): number {
  let h = 0x811C9DC5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * A port per service, from a hash of its name: deterministic, no two alike, and a service keeps
 * its port when others are added (unless a newcomer that sorts before it lands on the same
 * slot; collisions probe to the next free port, in name order).
 */
export function assignPorts(names: string[], basePort: number): Map<string, number> {
  if (names.length > RANGE)
    throw new Error(`[unplugin-femto] ${names.length} services do not fit the ${RANGE} ports above basePort ${basePort}; use groups or mode: 'monolith'`)
  const taken = new Set<number>()
  const ports = new Map<string, number>()
  for (const name of [...names].sort()) {
    let slot = hash(name) % RANGE
    while (taken.has(slot))
      slot = (slot + 1) % RANGE
    taken.add(slot)
    ports.set(name, basePort + 1 + slot)
  }
  return ports
}
