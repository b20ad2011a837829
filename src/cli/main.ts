/**
 * The `revocable` command's dispatcher: `serve`, `keys`, `token`, `revoke`, `sessions`, `users`.
 * Exit codes: 0 done, 1 failed (the reason on stderr), 2 wrong usage.
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../service/config.js'
import { MissingPeerError } from '../service/peer.js'
import { redactUrlCredentials } from '../service/redact.js'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from './command.js'
import { keysCommand } from './commands/keys.js'
import { revokeCommand } from './commands/revoke.js'
import { serveCommand } from './commands/serve.js'
import { sessionsCommand } from './commands/sessions.js'
import { tokenCommand } from './commands/token.js'
import { usersCommand } from './commands/users.js'

const COMMANDS: readonly Command[] = [
  serveCommand,
  keysCommand,
  tokenCommand,
  revokeCommand,
  sessionsCommand,
  usersCommand,
]

const USAGE = `Usage: revocable <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(10)}${command.summary}`).join('\n')}

Run "revocable <command> --help" for a command's options. Exit codes: 0 ok, 1 failure, 2 usage.
"revocable --version" prints the version.`

/** The package's version (src/cli and dist/cli both sit two folders below package.json). */
function version(): string {
  const url = new URL('../../package.json', import.meta.url)
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
}

/** Runs the CLI; resolves to the exit code, or 'running' while `serve` serves. */
export async function main(argv: string[], io: Io): Promise<number | 'running'> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.err : io.out)(USAGE)
    return name === undefined ? EXIT_USAGE : EXIT_OK
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(version())
    return EXIT_OK
  }
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (command === undefined) {
    io.err(`revocable: unknown command "${name}"\n\n${USAGE}`)
    return EXIT_USAGE
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help)
    return EXIT_OK
  }
  try {
    return await command.run(rest, io)
  } catch (error) {
    // A URL in a message (a STORE that could not be reached) never shows its password.
    const say = (text: string) => io.err(redactUrlCredentials(text))
    if (error instanceof UsageError) {
      say(`revocable ${name}: ${error.message}\n\n${command.help}`)
      return EXIT_USAGE
    }
    if (error instanceof ConfigError) {
      say(`revocable ${name}: ${error.message}`)
      return EXIT_USAGE
    }
    if (error instanceof MissingPeerError) {
      say(`revocable ${name}: ${error.message}`)
      return EXIT_FAILURE
    }
    const reason = error instanceof Error ? error.message : String(error)
    const code = (error as { code?: unknown }).code
    say(`revocable ${name}: ${typeof code === 'string' ? `${code}: ` : ''}${reason}`)
    return EXIT_FAILURE
  }
}
