import type { Runtime } from '../../service/runtime.js'
import { normalizeUsername, type UserRecord } from '../../service/users/directory.js'
import {
  claimsProblem,
  describeUser,
  forgetUser,
  parseSuspensionEnd,
  type UserView,
} from '../../service/users/lifecycle.js'
import {
  CONFIG_HELP,
  configFrom,
  EXIT_FAILURE,
  EXIT_OK,
  noExtra,
  output,
  parse,
  positional,
  UsageError,
  withRuntime,
  type Command,
  type Io,
} from '../command.js'

const ACTIONS = ['show', 'suspend', 'reinstate', 'delete', 'claims'] as const
type Action = (typeof ACTIONS)[number]

/** The user named by a username, or else by a sub; undefined when neither names one. */
async function findUser(runtime: Runtime, given: string): Promise<UserRecord | undefined> {
  return (await runtime.users.find(normalizeUsername(given))) ?? runtime.users.findBySub(given)
}

function describe(view: UserView): string {
  const suspension =
    view.suspension === null
      ? 'no'
      : `since ${view.suspension.since}, until ${view.suspension.until ?? 'reinstated'}` +
        (view.suspension.reason === null ? '' : ` (${view.suspension.reason})`)
  return [
    `username   ${view.username}`,
    `sub        ${view.sub}`,
    `created    ${view.created_at}`,
    `suspended  ${suspension}`,
    `claims     ${JSON.stringify(view.claims)}`,
    `sessions   ${view.sessions}`,
  ].join('\n')
}

/** Parses --set: a JSON object the service would accept, or a UsageError naming the rule. */
function claimsArgument(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsageError('--set must be a JSON object')
  }
  const problem = claimsProblem(value)
  if (problem !== undefined) throw new UsageError(`--set: ${problem}`)
  return value as Record<string, unknown>
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'show, suspend, reinstate or delete a user; set its claims',
  help: `Usage: revocable users show <sub|username> [--json]
       revocable users suspend <sub|username> [--until <date-time>] [--reason text] [--json]
       revocable users reinstate <sub|username> [--reason text]
       revocable users delete <sub|username> [--reason text]
       revocable users claims <sub|username> [--set '<json object>'] [--json]

show       the user: sub, username, suspension, claims, active sessions
suspend    end every session now and refuse logins and refreshes until --until
           (an RFC 3339 date-time, e.g. 2030-01-01T00:00:00Z) or "reinstate"
reinstate  lift a suspension (sessions it ended stay ended)
delete     forget the user: every session and token rejected, the username free again
claims     print the claims merged into the user's new access tokens, or replace them
           with --set ('{}' clears them); tokens issued before must be refreshed

Each change is recorded with actor "cli" and the --reason. Webhooks are sent by the service,
not by this command.

${CONFIG_HELP}`,
  async run(args, io) {
    const parsed = parse(args, {
      reason: { type: 'string' },
      until: { type: 'string' },
      set: { type: 'string' },
    })
    const json = parsed.values.json === true
    const action = positional(parsed, 0, ACTIONS.join('|'))
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`unknown action "${action}" (${ACTIONS.join(', ')})`)
    }
    const given = positional(parsed, 1, 'sub|username')
    noExtra(parsed, 2)
    const { reason, until, set } = parsed.values as Record<string, string | undefined>
    if (until !== undefined && action !== 'suspend') throw new UsageError('--until is for suspend')
    if (set !== undefined && action !== 'claims') throw new UsageError('--set is for claims')
    if (reason !== undefined && !['suspend', 'reinstate', 'delete'].includes(action)) {
      throw new UsageError(`--reason is not for ${action}`)
    }
    const end = until === undefined ? undefined : parseSuspensionEnd(until, Date.now())
    if (end !== undefined && 'reason' in end) throw new UsageError(end.reason)
    const claims = set === undefined ? undefined : claimsArgument(set)
    const audit = { actor: 'cli', ...(reason !== undefined && { reason }) }
    const config = configFrom(parsed, io)
    return withRuntime(config, io, async (runtime) => {
      const user = await findUser(runtime, given)
      if (user === undefined) {
        io.err(`revocable users: no user with that username or sub`)
        return EXIT_FAILURE
      }
      io.err(`user: ${user.username} (sub ${user.sub})`)
      return act(action as Action, runtime, user, io, json, { audit, end, claims })
    })
  },
}

async function act(
  action: Action,
  runtime: Runtime,
  user: UserRecord,
  io: Io,
  json: boolean,
  given: {
    audit: { actor: string; reason?: string }
    end: { until: number } | undefined
    claims: Record<string, unknown> | undefined
  },
): Promise<number> {
  const { auth, users } = runtime
  switch (action) {
    case 'show':
      break
    case 'suspend':
      await auth.suspendUser(user.sub, {
        ...given.audit,
        ...(given.end !== undefined && { until: given.end.until }),
      })
      break
    case 'reinstate': {
      const lifted = await auth.reinstateUser(user.sub, given.audit)
      output(
        io,
        json,
        { sub: user.sub, reinstated: lifted },
        lifted ? 'reinstated' : 'was not suspended',
      )
      return EXIT_OK
    }
    case 'delete':
      await forgetUser(runtime, user, given.audit)
      output(
        io,
        json,
        { sub: user.sub, deleted: true },
        `deleted ${user.username} (sub ${user.sub})`,
      )
      return EXIT_OK
    case 'claims':
      if (given.claims !== undefined) {
        await users.setClaims(user.sub, given.claims)
        await auth.markClaimsChanged(user.sub, { actor: 'cli', reason: 'claims changed' })
      }
      break
  }
  const view = await describeUser(runtime, user)
  if (action === 'claims')
    output(io, json, { sub: user.sub, claims: view.claims }, JSON.stringify(view.claims))
  else output(io, json, view, describe(view))
  return EXIT_OK
}
