/**
 * What every command shares: the shape of a command, argument parsing with node's
 * `util.parseArgs` (a bad argument is a usage error, exit 2), and a runtime opened from the same
 * configuration as the server (STORE etc.), closed when the command ends.
 */
import { parseArgs } from 'node:util'
import { configFlags, loadConfig, type ServerConfig } from '../server/config.js'
import { openRuntime, type Runtime } from '../server/runtime.js'

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

/** Runs `body` against the configured store, and closes it whatever happens. */
export async function withRuntime<T>(
  config: ServerConfig,
  io: Io,
  body: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(config, { replica: false, warn: (message) => io.err(message) })
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
