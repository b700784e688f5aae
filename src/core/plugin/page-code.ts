/**
 * vite dev: the code each module's browser transform last gave the page. A module with the
 * directive has no HMR boundary of its own, so Vite answers any edit of it with a full reload,
 * and the page loses its state (a form half filled in), even when the edit changes nothing the
 * page runs: a function's body, a constant only bodies use. When every module of the edited file
 * would give the page the same code as before, the edit needs no update at all: the functions
 * take it on the next call, as they do any edit.
 *
 * Only the code is compared, not the source map: a body that gained lines leaves the stubs below
 * it mapped to their old lines until the page next loads.
 */
export function createPageCode() {
  const given = new Map<string, string>()
  return {
    /**
     * What the browser transform of `id` gave the page. Undefined: the module's own source, which
     * any edit changes, so such a module is never taken as unchanged.
     */
    gave(id: string, code: string | undefined): void {
      if (code === undefined)
        given.delete(id)
      else
        given.set(id, code)
    },
    /** Whether the page was given code of each of `modules`: only then can an edit of them leave it as it was. */
    holds(modules: readonly { id: string | null }[]): boolean {
      return modules.length > 0 && modules.every(({ id }) => id !== null && given.has(id))
    },
    /**
     * Whether an edit leaves the page's code of each of `modules` as it was. `transform` gives a
     * module's code after the edit, and throws for one that no longer builds (Vite's reload then
     * shows its error).
     */
    async unchanged(modules: readonly { id: string | null }[], transform: (id: string) => Promise<string | undefined>): Promise<boolean> {
      if (modules.length === 0)
        return false
      for (const { id } of modules) {
        const before = id === null ? undefined : given.get(id)
        if (before === undefined)
          return false
        const after = await transform(id!).catch(() => {
          // The page that Vite reloads now fails to import it: it no longer has what it was given.
          given.delete(id!)
        })
        if (after !== before)
          return false
      }
      return true
    },
  }
}
