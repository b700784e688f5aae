#!/usr/bin/env node
// Writes docs/reference/options.md from the JSDoc of the plugin's `Options` interface and of the
// option types it nests (the policy keys of `defaults`/`functions`, the `deploy` settings), so
// that every option is described once, next to its type.
//
//   node scripts/docs-options.mjs            write the page
//   node scripts/docs-options.mjs --check    exit 1 if the committed page is not what the source gives
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'docs/reference/options.md')
// src/core/registry/options.ts since the registry got its folder; src/core/options.ts before.
const CANDIDATES = ['src/core/registry/options.ts', 'src/core/options.ts']

/** Nested option types get their own section, in this order, under these titles. */
const SECTIONS = {
  FunctionPolicy: {
    title: 'Policy keys',
    intro: 'The keys of `defaults` and of each entry of `functions`, and of a `\'femto key=value …\'` policy directive next to a function. How they combine and which side enforces each: [Policy keys reference](./policies.md); the behaviour callers see: [Policies guide](../guide/policies.md).',
  },
  DeployOptions: {
    title: 'Deploy options',
    intro: 'The settings of `deploy: { … }`, also the flags of `femto deploy` (`--registry`, `--namespace`, `--host`), which override them. What is written: [Deploying](../guide/deploying.md).',
  },
}

function findSource() {
  for (const candidate of CANDIDATES) {
    if (existsSync(join(ROOT, candidate)))
      return candidate
  }
  throw new Error(`docs-options: no Options interface found; looked in ${CANDIDATES.join(', ')}`)
}

/** The interface named `name` declared in `file`, or undefined. */
function findInterface(sourceFile, name) {
  return sourceFile.statements.find(s => ts.isInterfaceDeclaration(s) && s.name.text === name)
}

// A JSDoc writes the end of a glob such as `src/**` + `/*.ts` with an escaped slash, which would
// otherwise close the comment; the page shows the glob as meant.
const unescape = text => text.replace(/\*\\\//g, '*/')

/** Code spans for text that is code but was not written as such, e.g. `@default 3100`. */
function asCode(text) {
  if (text.includes('`'))
    return text
  return `\`${text}\``
}

/** Prose of a JSDoc for one markdown paragraph: line breaks inside a sentence become spaces. */
function prose(text) {
  return unescape(text).split(/\n{2,}/).map(p => p.replace(/\s*\n\s*/g, ' ').trim()).filter(Boolean).join('\n\n')
}

function describe(checker, member) {
  const symbol = checker.getSymbolAtLocation(member.name)
  const doc = symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)) : ''
  const tags = symbol ? symbol.getJsDocTags(checker) : []
  const defaultTag = tags.find(tag => tag.name === 'default')
  const deprecated = tags.find(tag => tag.name === 'deprecated')
  return {
    name: member.name.getText(),
    type: member.type ? member.type.getText().replace(/\s+/g, ' ') : 'unknown',
    doc: prose(doc),
    default: defaultTag ? unescape(ts.displayPartsToString(defaultTag.text)).trim() : undefined,
    deprecated: deprecated ? prose(ts.displayPartsToString(deprecated.text)) || 'yes' : undefined,
  }
}

/** Names of the interfaces a property's type refers to, declared in this project. */
function referencedInterfaces(checker, typeNode) {
  const found = []
  const visit = (node) => {
    if (ts.isTypeReferenceNode(node)) {
      let symbol = checker.getSymbolAtLocation(node.typeName)
      if (symbol && symbol.flags & ts.SymbolFlags.Alias)
        symbol = checker.getAliasedSymbol(symbol)
      const declaration = symbol?.declarations?.find(d => ts.isInterfaceDeclaration(d))
      if (declaration && !declaration.getSourceFile().fileName.includes('node_modules'))
        found.push(declaration)
    }
    ts.forEachChild(node, visit)
  }
  visit(typeNode)
  return found
}

function anchor(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

/** One `###` per key, its id the key itself (`options#basePath`), as a person would guess it. */
function renderMembers(members, links = new Map()) {
  const lines = []
  for (const m of members) {
    lines.push(`### \`${m.name}\` {#${m.name}}`, '')
    const facts = [`Type: \`${m.type}\`${links.has(m.name) ? ` (${links.get(m.name)})` : ''}`]
    if (m.default !== undefined)
      facts.push(`Default: ${asCode(m.default)}`)
    lines.push(`${facts.join(' · ')}`, '')
    if (m.deprecated)
      lines.push(`**Deprecated:** ${m.deprecated}`, '')
    if (m.doc)
      lines.push(m.doc, '')
  }
  return lines
}

function generate() {
  const source = findSource()
  const program = ts.createProgram([join(ROOT, source)], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  })
  const checker = program.getTypeChecker()
  const options = findInterface(program.getSourceFile(join(ROOT, source)), 'Options')
  if (!options)
    throw new Error(`docs-options: ${source} declares no interface Options`)

  const members = options.members.filter(ts.isPropertySignature)
  const top = members.map(m => describe(checker, m))
  // Nested option types, each once, in the order SECTIONS names them.
  const nested = new Map()
  for (const member of members) {
    for (const declaration of member.type ? referencedInterfaces(checker, member.type) : []) {
      const name = declaration.name.text
      if (!nested.has(name))
        nested.set(name, { declaration, usedBy: [] })
      nested.get(name).usedBy.push(member.name.getText())
    }
  }
  for (const name of nested.keys()) {
    if (!SECTIONS[name])
      throw new Error(`docs-options: Options refers to interface ${name}; give it a title in SECTIONS of scripts/docs-options.mjs`)
  }

  const links = new Map()
  for (const [name, { usedBy }] of nested) {
    for (const member of usedBy)
      links.set(member, [links.get(member), `[${SECTIONS[name].title.toLowerCase()}](#${anchor(SECTIONS[name].title)})`].filter(Boolean).join(', '))
  }

  const lines = [
    '<!-- Generated by scripts/docs-options.mjs from the JSDoc in the source: edit the source, then run `npm run docs:build`. -->',
    '',
    '# Options',
    '',
    `Every option of \`femto(options)\`, the same for every bundler (\`unplugin-femto/vite\`, \`/rollup\`, \`/rolldown\`, \`/esbuild\`, \`/webpack\`, \`/rspack\`). This page is generated from the JSDoc of the \`Options\` interface (\`${source}\`) and of the types it nests, so an editor shows the same text on hover. All options are optional.`,
    '',
    '```ts',
    'import femto from \'unplugin-femto/vite\'',
    '',
    'femto({',
    '  mode: \'split\',',
    '  defaults: { timeoutMs: 5000 },',
    '  functions: { charge: { retries: 3, idempotent: false } },',
    '})',
    '```',
    '',
    'Bad values fail the build with a message that names the option: `basePath: \'/\'`, a `basePort` that leaves no room for 4999 ports, a `mode` other than `\'split\'`/`\'monolith\'`, a `bodyLimit` that is not a size, a group that is not an ASCII identifier or lists no function, a function in two groups, an `allowedOrigins` entry that is not an origin, a `files` path outside the project, an unknown `deploy` key.',
    '',
    '## Plugin options',
    '',
    ...renderMembers(top, links),
  ]
  for (const [name, { declaration, usedBy }] of [...nested].sort(([a], [b]) => Object.keys(SECTIONS).indexOf(a) - Object.keys(SECTIONS).indexOf(b))) {
    const section = SECTIONS[name]
    const entries = declaration.members.filter(ts.isPropertySignature).map(m => describe(checker, m))
    lines.push(`## ${section.title} {#${anchor(section.title)}}`, '')
    lines.push(`Type \`${name}\`, used by ${usedBy.map(u => `[\`${u}\`](#${u})`).join(' and ')}. ${section.intro}`, '')
    lines.push(...renderMembers(entries))
  }
  // Headings of nested keys could collide with top-level ones (none do today): fail, don't shadow.
  const ids = lines.map(l => /\{#([^}]+)\}$/.exec(l)?.[1]).filter(Boolean)
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i)
  if (duplicate)
    throw new Error(`docs-options: two options would share the anchor #${duplicate}`)
  return { source, text: `${lines.join('\n').replace(/\n+$/, '')}\n` }
}

const { source, text } = generate()
const shown = relative(ROOT, OUT)
if (process.argv.includes('--check')) {
  const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : ''
  if (current !== text) {
    console.error(`${shown} is out of date with the JSDoc in ${source}: run \`node scripts/docs-options.mjs\` and commit it`)
    process.exit(1)
  }
  console.log(`${shown} is up to date with ${source}`)
}
else {
  writeFileSync(OUT, text)
  console.log(`wrote ${shown} from ${source}`)
}
