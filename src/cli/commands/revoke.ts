import {
  CONFIG_HELP,
  configForToken,
  configFrom,
  EXIT_OK,
  noExtra,
  output,
  parse,
  positional,
  resolveSub,
  UsageError,
  withRuntime,
  type Command,
} from '../command.js'

export const revokeCommand: Command = {
  name: 'revoke',
  summary: 'revoke a token, a session or a user',
  help: `Usage: revocable revoke token <jwt|jti> [--reason text] [--json]
       revocable revoke session <sid> [--reason text] [--json]
       revocable revoke user <sub|username> [--reason text] [--json]

token    one access token (the token itself, or its jti)
session  every token of a session, and the session itself (its refresh token stops working)
user     every token and session of a user issued until now

Each revocation is recorded with actor "cli" and the --reason.

${CONFIG_HELP}`,
  async run(args, io) {
    const parsed = parse(args, { reason: { type: 'string' } })
    const json = parsed.values.json === true
    const kind = positional(parsed, 0, 'token|session|user')
    if (!['token', 'session', 'user'].includes(kind)) {
      throw new UsageError(`unknown kind "${kind}" (token, session or user)`)
    }
    const id = positional(
      parsed,
      1,
      kind === 'token' ? 'jwt|jti' : kind === 'session' ? 'sid' : 'sub|username',
    )
    noExtra(parsed, 2)
    const reason = typeof parsed.values.reason === 'string' ? parsed.values.reason : undefined
    const audit = { actor: 'cli', ...(reason !== undefined && { reason }) }
    const config =
      kind === 'token' && id.includes('.') ? configForToken(parsed, io, id) : configFrom(parsed, io)
    let revokedId = id
    let ended = false
    await withRuntime(config, io, async (runtime) => {
      const { auth } = runtime
      auth.on('session.ended', () => void (ended = true))
      if (kind === 'token') await auth.revokeToken(id, audit)
      else if (kind === 'session') await auth.revokeSession(id, audit)
      else {
        revokedId = await resolveSub(runtime, io, id)
        await auth.revokeUser(revokedId, audit)
      }
    })
    const shown = kind === 'token' && id.includes('.') ? 'the given token' : `${kind} ${revokedId}`
    // A session id that names no active session is still denied, but say so: it may be a typo.
    const note = kind === 'session' && !ended ? ' (no active session had this id)' : ''
    output(io, json, { revoked: kind, id: revokedId }, `revoked ${shown}${note}`)
    return EXIT_OK
  },
}
