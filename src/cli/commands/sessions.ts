import { sessionJson } from '../../service/session-json.js'
import {
  CONFIG_HELP,
  configFrom,
  EXIT_OK,
  noExtra,
  output,
  parse,
  positional,
  resolveSub,
  table,
  UsageError,
  withRuntime,
  type Command,
} from '../command.js'

export const sessionsCommand: Command = {
  name: 'sessions',
  summary: "list a user's active sessions",
  help: `Usage: revocable sessions list <sub|username> [--json]

Lists the user's active sessions, most recently used first. End one with
"revocable revoke session <id>".

${CONFIG_HELP}`,
  async run(args, io) {
    const parsed = parse(args)
    const json = parsed.values.json === true
    const action = positional(parsed, 0, 'list')
    if (action !== 'list') throw new UsageError(`unknown action "${action}" (list)`)
    const given = positional(parsed, 1, 'sub|username')
    noExtra(parsed, 2)
    const config = configFrom(parsed, io)
    let sub = given
    const sessions = (
      await withRuntime(config, io, async (runtime) => {
        sub = await resolveSub(runtime, io, given)
        return runtime.auth.listSessions(sub)
      })
    ).map(sessionJson)
    const human =
      sessions.length === 0
        ? `no active sessions for ${sub}`
        : table([
            ['ID', 'CREATED', 'LAST USED', 'CLIENT', 'IP', 'USER AGENT'],
            ...sessions.map((s) => [
              s.id,
              s.created_at,
              s.last_used_at,
              s.client_id ?? '-',
              s.ip ?? '-',
              s.user_agent ?? '-',
            ]),
          ])
    output(io, json, { sessions }, human)
    return EXIT_OK
  },
}
