import { checkServicePackages } from '../../service/peer.js'
import { configFrom, noExtra, parse, type Command } from '../command.js'

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP auth service',
  help: `Usage: revocable serve [--port 3000] [--store sqlite:./data/revocable.db] [...]

Runs the auth service until SIGTERM or SIGINT (then it stops accepting, finishes in-flight
requests and closes the store). Every environment variable has a flag of the same name in
kebab case: PORT=8080 or --port 8080, COOKIE_MODE=true or --cookie-mode.
See docs/service.md for every variable and endpoint.`,
  async run(args, io) {
    const parsed = parse(args)
    noExtra(parsed, 0)
    const config = configFrom(parsed, io)
    checkServicePackages()
    // Imported only now: the other commands work without the service's packages installed.
    const { serve } = await import('../../server/serve.js')
    await serve(config)
    return 'running'
  },
}
