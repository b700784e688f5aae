import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The env file of the deploy's FEMTO_TOKEN, in the output folder beside `deploy/` (which every
 * `femto deploy` empties): created once, never overwritten, so that the token stays the same from
 * one deploy to the next and rolling one service never splits the others from it.
 */
export const TOKEN_FILE = 'femto.env'
/** Its path from `deploy/`, where the Compose file is. */
export const TOKEN_FILE_FROM_DEPLOY = `../${TOKEN_FILE}`

export interface TokenFile {
  path: string
  token: string
  /** Written by this call: the user is told to keep it out of version control. */
  created: boolean
}

const HEADER = `# FEMTO_TOKEN: the secret the femto services and their gateway share (a call from inside carries it).
# Written once by femto deploy and never overwritten: change it here to rotate it, then deploy again.
# Keep this file out of version control.
`

/** Reads `<outDir>/femto.env`, or creates it with a random token. */
export async function ensureTokenFile(outDir: string): Promise<TokenFile> {
  const path = join(outDir, TOKEN_FILE)
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw error
  }
  if (text !== undefined) {
    const token = /^FEMTO_TOKEN=(\S+)\s*$/m.exec(text)?.[1]
    if (!token)
      throw new Error(`femto deploy: ${path} has no FEMTO_TOKEN=<secret> line; add one (e.g. \`openssl rand -hex 24\`) or delete the file to have a new one written`)
    return { path, token, created: false }
  }
  const token = randomBytes(24).toString('hex')
  // `wx`: never over a file another deploy wrote in the meantime.
  await writeFile(path, `${HEADER}FEMTO_TOKEN=${token}\n`, { mode: 0o600, flag: 'wx' })
  return { path, token, created: true }
}

/** What the deploy says when it wrote the file (`femto deploy`, or a build with the `deploy` option). */
export function tokenFileNotice(file: TokenFile): string | undefined {
  return file.created ? `femto: wrote ${file.path} with a random FEMTO_TOKEN for the services and the gateway; keep it out of version control` : undefined
}
