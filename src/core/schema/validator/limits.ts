/** Recursion through named types (and cyclic data from the rich encoding) stops here with an error, not a stack overflow. */
export const MAX_DEPTH = 100
/** More items than a 1 MiB body can hold densely: a longer array is a sparse one meant to stall the check. */
export const MAX_ITEMS = 1_000_000

/**
 * Calls of recursive named types one validation may make. A union of overlapping branches that
 * each recurse takes time exponential in the depth of the data; this bounds it (to a few tens of
 * milliseconds) while leaving room for the largest body a service accepts by default.
 */
export const MAX_CALLS = 1_000_000

/** Beyond this many values a `Set` lookup beats a chain of comparisons. */
export const MAX_COMPARISONS = 8
