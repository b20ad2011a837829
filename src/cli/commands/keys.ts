import {
  CONFIG_HELP,
  configFrom,
  EXIT_OK,
  noExtra,
  output,
  parse,
  positional,
  table,
  UsageError,
  withRuntime,
  type Command,
} from '../command.js'

export const keysCommand: Command = {
  name: 'keys',
  summary: 'list, rotate or retire signing keys',
  help: `Usage: revocable keys list [--json]
       revocable keys rotate [--now] [--json]
       revocable keys retire <kid> [--json]

list    every key that still verifies, and which one signs
rotate  generate a new key: published at once, it signs after KEY_PUBLISH_LEAD seconds
        (--now: at once, e.g. to replace a compromised key); old keys keep verifying
retire  reject every token signed with <kid> from now on, on every instance

${CONFIG_HELP}`,
  async run(args, io) {
    const parsed = parse(args, { now: { type: 'boolean' } })
    const json = parsed.values.json === true
    const action = positional(parsed, 0, 'list|rotate|retire')
    const config = configFrom(parsed, io)
    switch (action) {
      case 'list': {
        noExtra(parsed, 1)
        const keys = await withRuntime(config, io, async ({ auth }) => auth.listKeys())
        const rows = keys.map((key) => ({
          kid: key.kid,
          alg: key.alg,
          createdAt: new Date(key.createdAt).toISOString(),
          source: key.source,
          signing: key.signing,
        }))
        output(
          io,
          json,
          { keys: rows },
          table([
            ['KID', 'ALG', 'CREATED', 'SOURCE', 'SIGNING'],
            ...rows.map((r) => [r.kid, r.alg, r.createdAt, r.source, r.signing ? 'yes' : '']),
          ]),
        )
        return EXIT_OK
      }
      case 'rotate': {
        noExtra(parsed, 1)
        const now = parsed.values.now === true
        const { kid, activatesAt } = await withRuntime(config, io, async ({ auth }) => {
          const kid = await auth.rotateKeys(now ? { lead: 0 } : {})
          const activatesAt = auth.listKeys().find((key) => key.kid === kid)?.activatesAt ?? 0
          return { kid, activatesAt }
        })
        const when = new Date(activatesAt).toISOString()
        output(
          io,
          json,
          { kid, activatesAt: when },
          now ? `new signing key ${kid}` : `new key ${kid}: published now, signs from ${when}`,
        )
        return EXIT_OK
      }
      case 'retire': {
        const kid = positional(parsed, 1, 'kid')
        noExtra(parsed, 2)
        await withRuntime(config, io, async ({ auth }) => {
          if (!auth.listKeys().some((key) => key.kid === kid)) {
            throw new Error(`no key with kid "${kid}"`)
          }
          await auth.retireKey(kid)
        })
        output(io, json, { retired: kid }, `retired key ${kid}`)
        return EXIT_OK
      }
      default:
        throw new UsageError(`unknown action "${action}" (list, rotate or retire)`)
    }
  },
}
