/** FNV-1a, 32 bits, as 8 hex digits: short enough for a header, and stable across platforms. */
export function fnv1a(text: string): string {
  let h = 0x811C9DC5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}
