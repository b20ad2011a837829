/**
 * The user's pages: sign in (`/`), register (`/register`) and "your devices" (`/account`), plus
 * the two JSON calls only the devices page makes (its session list with browser and OS, and "sign
 * out of all other devices"). Everything else the pages do goes through the public API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { claimsOf, requireBearer, type ServiceContext } from '../context.js'
import { csrfTokenFor, readRefreshCookie } from '../cookies.js'
import { sessionJson } from '../../service/session-json.js'
import { describeDevice } from './device.js'

/** What `?notice=` may say on the sign-in page: an allowlist, never the query's own text. */
export const NOTICES: Readonly<Record<string, string>> = {
  ended: 'You were signed out on another device.',
  'signed-out': 'You signed out.',
  expired: 'Your session has ended. Please sign in again.',
  deleted: 'Your account was deleted.',
}

const signInQuery = {
  type: 'object',
  additionalProperties: true,
  properties: {
    notice: { type: 'string', maxLength: 32 },
    username: { type: 'string', maxLength: 64 },
  },
}

/** A page of the service: never cached (it may carry a CSRF token), never sniffed. */
export function sendPage(
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown>,
  status = 200,
): Promise<string> {
  reply.code(status).header('cache-control', 'no-store')
  return reply.viewAsync(template, data)
}

/** Whether the service has `method path` (the lifecycle routes exist only in some builds). */
function hasRoute(app: FastifyInstance, method: string, path: string): boolean {
  return app.routeTable.allowed(path).includes(method)
}

export async function accountPages(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const guard = requireBearer(context)

  const signIn =
    (form: 'sign-in' | 'register') =>
    async (
      request: FastifyRequest<{ Querystring: { notice?: string; username?: string } }>,
      reply: FastifyReply,
    ) => {
      const notice = request.query.notice
      return sendPage(reply, 'sign-in', {
        title: form === 'sign-in' ? 'Sign in' : 'Create an account',
        form,
        notice:
          notice !== undefined && Object.hasOwn(NOTICES, notice) ? NOTICES[notice] : undefined,
        username: request.query.username ?? '',
        script: 'sign-in.js',
      })
    }
  app.get('/', { schema: { querystring: signInQuery } }, signIn('sign-in'))
  app.get('/register', { schema: { querystring: signInQuery } }, signIn('register'))

  app.get('/account', async (request, reply) => {
    const refreshToken = readRefreshCookie(request)
    // No session in this browser: the sign-in page, not an empty shell.
    if (refreshToken === undefined) return reply.redirect('/', 303)
    return sendPage(reply, 'account', {
      title: 'Your devices',
      pageCsrf: csrfTokenFor(refreshToken),
      canChangePassword: hasRoute(app, 'POST', '/auth/password'),
      canDeleteAccount: hasRoute(app, 'DELETE', '/auth/account'),
      canReauthenticate: hasRoute(app, 'POST', '/auth/reauthenticate'),
      script: 'account.js',
    })
  })

  app.get('/account/sessions', { preHandler: guard }, async (request, reply) => {
    const { sub, sid } = claimsOf(request)
    const sessions = await context.auth.listSessions(sub, { currentSid: sid })
    reply.header('cache-control', 'no-store')
    return {
      sessions: sessions.map((session) => ({
        ...sessionJson(session),
        ...describeDevice(session.device?.userAgent),
      })),
    }
  })

  app.post('/account/sessions/end-others', { preHandler: guard }, async (request, reply) => {
    const { sub, sid } = claimsOf(request)
    const ended = await context.auth.endOtherSessions(sub, sid, {
      actor: sub,
      reason: 'signed out of all other devices',
    })
    return reply.header('cache-control', 'no-store').send({ ended })
  })
}
