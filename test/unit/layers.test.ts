import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

// The folders of src/ are layers and data flows one way (STYLE.md §1, issue #18). This builds the
// folder-level import graph of src/ (every relative import, type-only ones too, as
// ../shared/tools/layers.mjs does) and checks it against the table below.

const src = fileURLToPath(new URL('../../src', import.meta.url))

const LIBRARY_BASE = ['errors.ts', 'clock.ts', 'code-units.ts']
// Each layer of the library may import every layer below it; the lists grow bottom to top.
// Records, stores, keys, tokens and the options: what the CLI uses too, without the events.
const BELOW_EVENTS = [...LIBRARY_BASE, 'records/', 'stores/', 'keys/', 'tokens/', 'options.ts']
const BELOW_REVOCATION = [...BELOW_EVENTS, 'events.ts']
const BELOW_FACADE = [...BELOW_REVOCATION, 'revocation/', 'sessions/']
const LIBRARY = [...BELOW_FACADE, 'revocable.ts', 'create-revocable.ts']
// What calls the library from above: the whole of it, the public entry and peer detection too.
const ABOVE_LIBRARY = [...LIBRARY, 'peer.ts', 'index.ts']

/**
 * Folder (or top-level file) → what it may import, bottom to top. A new folder must be added
 * here, with the layers it sits on: an edge the table does not name fails the test.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'errors.ts': [],
  'clock.ts': [],
  'code-units.ts': [],
  'peer.ts': [],
  // The records a store persists and the pure rules on them: the bottom of the library.
  'records/': [...LIBRARY_BASE],
  // The store contract and the stores; they apply the records' rules, never the verbs above.
  'stores/': [...LIBRARY_BASE, 'peer.ts', 'records/'],
  // The key ring reads and writes keys through a store; the key verbs emit key events.
  'keys/': [...LIBRARY_BASE, 'records/', 'stores/', 'events.ts'],
  // Pure token code: signing and verifying with keys of the ring.
  'tokens/': [...LIBRARY_BASE, 'records/', 'keys/'],
  'options.ts': [...LIBRARY_BASE, 'records/', 'stores/', 'keys/'],
  'events.ts': [...LIBRARY_BASE, 'records/'],
  'revocation/': BELOW_REVOCATION,
  'sessions/': [...BELOW_REVOCATION, 'revocation/'],
  'revocable.ts': [...BELOW_FACADE, 'peer.ts'],
  // The factory: builds the pieces, then the façade.
  'create-revocable.ts': [...BELOW_FACADE, 'revocable.ts'],
  // The store authors' entry (revocable/store): the contract, records and rules.
  'store.ts': [...LIBRARY_BASE, 'records/', 'stores/', 'sessions/'],
  'index.ts': LIBRARY,
  // Above the library: they call it; nothing in the library calls them.
  'adapters/': ABOVE_LIBRARY,
  // The service layer (config, runtime, users) shared by the HTTP server and the CLI.
  'service/': ABOVE_LIBRARY,
  'server/': [...ABOVE_LIBRARY, 'adapters/', 'service/'],
  'cli/': [
    ...BELOW_EVENTS,
    'revocable.ts',
    'create-revocable.ts',
    'index.ts',
    'service/',
    // Only `revocable serve`, which loads the HTTP server on demand to run it; config and
    // runtime come from service/ (test/service-layers.test.ts allows that one import only).
    'server/',
  ],
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The layer a file belongs to: its top-level folder under src/ (`stores/`), or its own name. */
function unitOf(path: string): string {
  const parts = relative(src, path).split('/')
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] as string)
}

interface Edge {
  readonly from: string
  readonly to: string
  /** One file-level import that makes the edge, for the failure message. */
  readonly example: string
}

function folderEdges(): Edge[] {
  const edges = new Map<string, Edge>()
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), match[1] as string).replace(/\.js$/, '.ts')
      const from = unitOf(file)
      const to = unitOf(target)
      if (from === to || edges.has(`${from} ${to}`)) continue
      const example = `src/${relative(src, file)} imports src/${relative(src, target)}`
      edges.set(`${from} ${to}`, { from, to, example })
    }
  }
  return [...edges.values()]
}

/** Every cycle's members (strongly connected components of more than one node: Tarjan). */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flat()])
  const visit = (node: string): void => {
    index.set(node, counter)
    low.set(node, counter)
    counter++
    stack.push(node)
    onStack.add(node)
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop() as string
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const node of nodes) if (!index.has(node)) visit(node)
  return found
}

function adjacency(edges: readonly Edge[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const { from, to } of edges) map.set(from, [...(map.get(from) ?? []), to])
  return map
}

test('the folders of src/ import each other without a cycle', () => {
  const found = cycles(adjacency(folderEdges()))
  assert.deepEqual(
    found.map((cycle) => cycle.join(' <-> ')),
    [],
    'a folder cycle: move the shared type or rule down (records/ is the bottom layer)',
  )
})

test('every folder of src/ imports only what the layer table allows', () => {
  const violations = folderEdges()
    .filter(({ from, to }) => !(ALLOWED[from] ?? []).includes(to))
    .map(({ from, to, example }) =>
      from in ALLOWED
        ? `${from} may not import ${to} (${example})`
        : `${from} is not in the layer table of test/unit/layers.test.ts (${example})`,
    )
  assert.deepEqual(violations, [])
})

test('the layer table itself has no cycle, so it cannot allow one', () => {
  const table = new Map(Object.entries(ALLOWED).map(([from, to]) => [from, [...to]]))
  assert.deepEqual(cycles(table), [])
})

test('the records layer imports nothing from src/ but errors.ts and clock.ts', () => {
  const fromRecords = folderEdges().filter(({ from }) => from === 'records/')
  assert.ok(
    fromRecords.every(({ to }) => LIBRARY_BASE.includes(to)),
    fromRecords.map((edge) => edge.example).join('; '),
  )
})
