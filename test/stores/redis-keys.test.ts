// Every Redis key is built in src/stores/redis/keys.ts, and every Lua script names the keys it
// touches in KEYS, save the documented hash-tag exception (SCRIPT_BUILT_KEYS) whose keys are
// proven to share the declared slot (issue 18).
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { redisKeys, SCRIPT_BUILT_KEYS, serviceKeys } from '../../src/stores/redis/keys.js'

const SCRIPTS_DIR = 'src/stores/redis/scripts'

/** The arguments of every `redis.call(...)` / `redis.pcall(...)` in a Lua source, as text. */
function redisCalls(source: string): string[][] {
  const calls: string[][] = []
  const opener = /redis\.p?call\(/g
  for (let match = opener.exec(source); match !== null; match = opener.exec(source)) {
    const args: string[] = []
    let depth = 0
    let quote: string | undefined
    let current = ''
    for (let i = match.index + match[0].length; i < source.length; i += 1) {
      const char = source[i] as string
      if (quote !== undefined) {
        current += char
        if (char === quote) quote = undefined
        continue
      }
      if (char === "'" || char === '"') quote = char
      else if ('([{'.includes(char)) depth += 1
      else if (')]}'.includes(char)) {
        if (depth === 0) break
        depth -= 1
      } else if (char === ',' && depth === 0) {
        args.push(current.trim())
        current = ''
        continue
      }
      current += char
    }
    args.push(current.trim())
    calls.push(args)
  }
  return calls
}

/** What a name is bound to: `local name = …` or `for _, name in ipairs(…) do`. */
function binding(source: string, name: string): string | undefined {
  const local = new RegExp(`local\\s+${name}\\s*=\\s*(.+)$`, 'm').exec(source)
  if (local !== null) return (local[1] as string).trim()
  const loop = new RegExp(`for\\s+_\\s*,\\s*${name}\\s+in\\s+ipairs\\((.+)\\)\\s+do`).exec(source)
  return loop === null ? undefined : (loop[1] as string).trim()
}

const DECLARED = /^\{?\s*KEYS\[\d+\](\s*,\s*KEYS\[\d+\])*\s*\}?$/
const BUILT = /^ARGV\[(\d+)\]\s*\.\.\s*[A-Za-z_]\w*$/
// Commands without a key argument.
const KEYLESS = new Set(['TIME'])

/**
 * The keys a script touches that it does not receive in KEYS, each as `ARGV[n]` (built from that
 * prefix) or as the offending expression. Empty when every key is declared.
 */
export function undeclaredKeys(source: string): string[] {
  const found: string[] = []
  for (const [command = '', key] of redisCalls(source)) {
    if (KEYLESS.has(command.replace(/['"]/g, '').toUpperCase())) continue
    if (key === undefined) {
      found.push(`${command} without a key`)
      continue
    }
    const resolved = /^[A-Za-z_]\w*$/.test(key) ? (binding(source, key) ?? key) : key
    if (DECLARED.test(resolved)) continue
    const built = BUILT.exec(resolved)
    found.push(built === null ? resolved : `ARGV[${built[1]}]`)
  }
  return [...new Set(found)]
}

/** Every TypeScript source file under `dir`. */
function sources(dir = 'src'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** Lua written inline in TypeScript (the service's), found wherever its file lives. */
function inlineScripts(): [string, string][] {
  return sources().flatMap((file) => {
    const text = readFileSync(file, 'utf8')
    return [...text.matchAll(/const [A-Z_]+ = `([^`]*redis\.call[^`]*)`/g)].map(
      (match, index): [string, string] => [`${file}#${index}`, match[1] as string],
    )
  })
}

test('the key checker flags keys built inside a script and literal key names', () => {
  assert.deepEqual(undeclaredKeys("redis.call('GET', KEYS[1])"), [])
  assert.deepEqual(undeclaredKeys("redis.call('DEL', ARGV[2] .. sid)"), ['ARGV[2]'])
  assert.deepEqual(undeclaredKeys("local k = ARGV[1] .. id\nredis.call('SET', k, 1)"), ['ARGV[1]'])
  assert.deepEqual(undeclaredKeys("redis.call('GET', 'rvk:{g}:epoch')"), ["'rvk:{g}:epoch'"])
  assert.deepEqual(undeclaredKeys("redis.call('GET', KEYS[1] .. ':x')"), ["KEYS[1] .. ':x'"])
  assert.deepEqual(
    undeclaredKeys("for _, index in ipairs({ KEYS[1], KEYS[4] }) do redis.call('PTTL', index) end"),
    [],
  )
})

test('every Lua script names its keys in KEYS, except the documented hash-tag prefixes', () => {
  const scripts: [string, string][] = readdirSync(SCRIPTS_DIR)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => [file.slice(0, -4), readFileSync(join(SCRIPTS_DIR, file), 'utf8')])
  assert.ok(scripts.length >= 9, 'found the scripts')
  for (const [name, source] of [...scripts, ...inlineScripts()]) {
    const allowed = Object.keys(SCRIPT_BUILT_KEYS[name] ?? {}).map((n) => `ARGV[${n}]`)
    assert.deepEqual(undeclaredKeys(source).sort(), allowed.sort(), `${name}.lua`)
  }
  assert.ok(inlineScripts().length >= 2, 'found the service scripts (rate limit, guesses)')
})

/** Redis Cluster's hash tag: the text between the first "{" and the next "}", when not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{')
  if (open === -1) return key
  const close = key.indexOf('}', open + 1)
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close)
}

test("every key a script builds from a prefix has the hash tag of the script's KEYS", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (sub, sid, prefix) => {
      fc.pre(!/[{}]/.test(prefix))
      const keys = redisKeys(prefix)
      const user = keys.user(sub)
      const tag = hashTag(user.sessions)
      // create-session and revoke-user: KEYS[1] is in the user's slot; ARGV prefixes + sid.
      for (const key of [
        user.cutoff,
        user.sessionsByExpiry,
        user.sessionsByCreation,
        user.sessionPrefix + sid,
        user.revokedSessionPrefix + sid,
        user.session(sid),
        user.revokedSession(sid),
      ]) {
        assert.equal(hashTag(key), tag)
      }
      // replicas-behind: KEYS[1] is the replica set in {g}; ARGV[1] + a replica id.
      assert.equal(hashTag(keys.replicaAckPrefix + sid), hashTag(keys.replicas))
      assert.equal(keys.replicaAck(sid), keys.replicaAckPrefix + sid)
      assert.equal(hashTag(keys.replicas), 'g')
    }),
  )
})

test('the store and the service share the prefix without a key name in common', () => {
  const store = redisKeys('rvk:')
  const service = serviceKeys('rvk:')
  const storeNames = [
    store.jti('x'),
    store.issued('x'),
    store.revokedSession('x'),
    store.sessionOwner('x'),
    store.user('x').cutoff,
    store.user('x').session('x'),
    store.epoch,
    store.feed,
  ]
  for (const name of [service.users, service.rateLimitPrefix, service.guesses('x')]) {
    assert.ok(
      storeNames.every((other) => !other.startsWith(name) && !name.startsWith(other)),
      name,
    )
  }
  assert.match(service.guesses('alice'), /^rvk:guess:\{[0-9a-f]{32}\}$/)
  assert.doesNotMatch(service.guesses('alice'), /alice/)
})

/** Source files that talk to Redis, outside the key module. */
function redisSources(): string[] {
  return sources().filter(
    (path) =>
      path !== join('src', 'stores', 'redis', 'keys.ts') &&
      /redis/i.test(readFileSync(path, 'utf8')),
  )
}

test('no file but stores/redis/keys.ts builds a key name from the prefix', () => {
  const offenders: string[] = []
  for (const file of redisSources()) {
    const text = readFileSync(file, 'utf8')
    const built = /\$\{[^}]*prefix[^}]*\}[^`]*`|(?:P|p)refix\s*\+|\+\s*\w*(?:P|p)refix\b/g
    for (const match of text.matchAll(built)) offenders.push(`${file}: ${match[0]}`)
  }
  assert.deepEqual(offenders, [])
})
