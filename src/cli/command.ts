/**
 * What every command shares: the shape of a command, argument parsing with node's
 * `util.parseArgs` (a bad argument is a usage error, exit 2), and a runtime opened from the same
 * configuration as the server (STORE etc.), closed when the command ends.
 */
import { parseArgs } from 'node:util'
import { configFlags, describeStore, loadConfig, type ServerConfig } from '../service/config.js'
import { openRuntime, type Runtime } from '../service/runtime.js'
import { normalizeUsername } from '../service/users/directory.js'
import { decodeUnverified } from '../tokens/decode.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface Io {
  out(text: string): void
  err(text: string): void
  readonly env: Readonly<Record<string, string | undefined>>
}

export interface Command {
  readonly name: string
  readonly summary: string
  /** The --help text. */
  readonly help: string
  /** Resolves to an exit code, or 'running' when the process must stay up (serve). */
  run(args: string[], io: Io): Promise<number | 'running'>
}

/** Wrong arguments: print the message and the command's usage, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>

export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies Options

export const CONFIG_HELP = `Configuration comes from the same environment variables as the server (STORE,
ISSUER, AUDIENCE, REDIS_PREFIX, …); each has a flag, e.g. --store sqlite:./data/revocable.db.
See docs/service.md.`

export interface Parsed {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

/** parseArgs with every config flag, strict; unknown flags become a UsageError. */
export function parse(args: string[], options: Options = {}): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...configFlags(), ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    })
    return { values: values as Parsed['values'], positionals }
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

export function configFrom(parsed: Parsed, io: Io): ServerConfig {
  return loadConfig(io.env, parsed.values)
}

function usableIssuer(iss: unknown): iss is string {
  if (typeof iss !== 'string' || !URL.canParse(iss)) return false
  const url = new URL(iss)
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.search + url.hash === ''
}

/**
 * Accepts a username wherever a command takes a sub: a user of that name in the service's user
 * directory gives its sub; anything else is taken as a sub.
 */
export async function resolveSub(runtime: Runtime, io: Io, subOrUsername: string): Promise<string> {
  const user = await runtime.users.find(normalizeUsername(subOrUsername))
  if (user === undefined) return subOrUsername
  io.err(`user: ${user.username} (sub ${user.sub})`)
  return user.sub
}

/**
 * The configuration for a command that checks a token. ISSUER defaults to
 * http://localhost:$PORT, so a CLI run without the service's PORT would reject every token of a
 * service on another port: when neither ISSUER nor --issuer is set, the token's own `iss` is
 * taken (the signature is still checked against the store's keys, which only the service holds).
 */
export function configForToken(parsed: Parsed, io: Io, token: string): ServerConfig {
  const explicit = parsed.values.issuer ?? io.env.ISSUER
  if (explicit !== undefined && explicit !== '') return configFrom(parsed, io)
  const iss = (decodeUnverified(token)?.payload as { iss?: unknown } | undefined)?.iss
  if (!usableIssuer(iss)) return configFrom(parsed, io)
  const config = loadConfig(io.env, { ...parsed.values, issuer: iss })
  io.err(`issuer: ${config.issuer} (from the token; set ISSUER to require one)`)
  return config
}

/** Runs `body` against the configured store, and closes it whatever happens. */
export async function withRuntime<T>(
  config: ServerConfig,
  io: Io,
  body: (runtime: Runtime) => Promise<T>,
  { create = false }: { create?: boolean } = {},
): Promise<T> {
  // Say which store, so a command run from the wrong directory cannot pass for a success; and
  // never make one (openRuntime refuses a store that does not exist).
  io.err(`store: ${describeStore(config.store)}`)
  const runtime = await openRuntime(config, {
    replica: false,
    create,
    warn: (message) => io.err(message),
  })
  try {
    return await body(runtime)
  } finally {
    await runtime.close()
  }
}

/** Prints `value` as JSON (--json) or as the human text. */
export function output(io: Io, json: boolean, value: unknown, human: string): void {
  io.out(json ? JSON.stringify(value, null, 2) : human)
}

/** Left-aligned columns, for human output. */
export function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** Exactly `count` positionals after the subcommand, or a UsageError naming what is missing. */
export function positional(parsed: Parsed, index: number, name: string): string {
  const value = parsed.positionals[index]
  if (value === undefined || value === '') throw new UsageError(`missing <${name}>`)
  return value
}

export function noExtra(parsed: Parsed, count: number): void {
  if (parsed.positionals.length > count) {
    throw new UsageError(`unexpected argument "${parsed.positionals[count]}"`)
  }
}
