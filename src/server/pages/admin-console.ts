/**
 * The admin console (`/admin`), registered only when ADMIN_TOKEN is set. Server-rendered forms,
 * no script but the live summary's poll: sign in with the admin token (then a console cookie,
 * see admin-session.ts), find a user by username or sub, see and end their sessions, suspend,
 * reinstate, edit claims and delete (through the admin API's own routes, when the service has
 * them), rotate and retire signing keys, and a summary read from the /metrics registry. Each action is a POST
 * form checked for Origin and the console's CSRF field, answered by a redirect (303) back to the
 * console with a fixed message.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { safeEqual } from '../client-auth.js'
import type { ServiceContext } from '../context.js'
import { originAllowed } from '../cookies.js'
import { sendTooManyAttempts } from '../guessing/guard.js'
import { sendError } from '../http.js'
import { sendPage } from './account.js'
import {
  clearConsoleCookie,
  consoleCsrf,
  consoleSession,
  issueConsoleCookie,
  setConsoleCookie,
} from './admin-session.js'
import { describeDevice } from './device.js'
import { MetricsSummary } from './summary.js'

/** An instant as the console shows it: `2026-11-30 07:45 UTC` (the ISO form is the datetime). */
function shown(ms: number | Date): { iso: string; text: string } {
  const iso = new Date(ms).toISOString()
  return { iso, text: `${iso.slice(0, 16).replace('T', ' ')} UTC` }
}

/** What `?done=` may say: an allowlist, never the query's own text. */
export const CONSOLE_MESSAGES: Readonly<Record<string, string>> = {
  'session-ended': 'The session was ended.',
  'sessions-ended': 'Every session of the user was ended.',
  'key-rotated': 'A new signing key was published.',
  'key-retired': 'The key was retired: tokens it signed are rejected.',
  suspended: 'The user is suspended.',
  reinstated: 'The user is reinstated.',
  'claims-saved': 'The claims were saved: tokens refresh with them.',
  'user-deleted': 'The user was deleted.',
  failed: 'The action failed.',
}

const ID = { type: 'string', minLength: 1, maxLength: 256 }
const actionBody = {
  type: 'object',
  required: ['csrf'],
  additionalProperties: false,
  properties: {
    csrf: { type: 'string', minLength: 1, maxLength: 128 },
    sub: ID,
    sid: ID,
    kid: ID,
    q: { type: 'string', maxLength: 256 },
    reason: { type: 'string', maxLength: 256 },
    until: { type: 'string', maxLength: 64 },
    claims: { type: 'string', maxLength: 4096 },
    confirm: { type: 'string', enum: ['yes'] },
  },
}
const consoleQuery = {
  type: 'object',
  additionalProperties: true,
  properties: { q: { type: 'string', maxLength: 256 }, done: { type: 'string', maxLength: 32 } },
}

/** What the admin API answers for a user (src/server/routes/admin-users.ts). */
interface UserView {
  sub: string
  username: string
  suspension: { until: string | null; reason: string | null } | null
  claims: Record<string, unknown>
}

interface ActionBody {
  csrf: string
  sub?: string
  sid?: string
  kid?: string
  q?: string
  reason?: string
  until?: string
  claims?: string
  confirm?: string
}

export async function adminConsole(app: FastifyInstance, context: ServiceContext): Promise<void> {
  if (context.config.adminToken === undefined) return
  const token: string = context.config.adminToken
  const { auth, guard, config } = context
  const summary = new MetricsSummary(context.metrics.registry)
  const has = (method: string, path: string) => app.routeTable.allowed(path).includes(method)
  // The admin API's lifecycle routes (issue 15), registered before the pages when present.
  const lifecycle = {
    suspend: has('POST', '/admin/users/:sub/suspend') && has('POST', '/admin/users/:sub/reinstate'),
    claims: has('PUT', '/admin/users/:sub/claims'),
    remove: has('DELETE', '/admin/users/:sub'),
  }

  /** The user view of H6's admin API, when that API is part of this service. */
  async function adminApi(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) {
    const response = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    })
    return response
  }

  /** The admin API's view of a user (GET /admin/users…), or undefined. */
  async function userView(url: string): Promise<UserView | undefined> {
    const response = await adminApi('GET', url)
    return response.statusCode === 200 ? (response.json() as UserView) : undefined
  }

  /** A user by username, else by sub; a sub with sessions but no account still shows them. */
  async function findUser(query: string) {
    const trimmed = query.trim()
    if (trimmed === '') return undefined
    const detail =
      (await userView(`/admin/users?username=${encodeURIComponent(trimmed)}`)) ??
      (await userView(`/admin/users/${encodeURIComponent(trimmed)}`))
    const sub = detail?.sub ?? trimmed
    let sessions
    try {
      sessions = await auth.listSessions(sub)
    } catch (error) {
      // Not a username, and not a well-formed sub either.
      if (error instanceof TypeError) return { found: false as const }
      throw error
    }
    if (detail === undefined && sessions.length === 0) return { found: false as const }
    return {
      found: true as const,
      sub,
      username: detail?.username,
      suspension: detail?.suspension,
      claims: detail?.claims === undefined ? undefined : JSON.stringify(detail.claims, null, 2),
      sessions: sessions.map((session) => ({
        id: session.id,
        ...describeDevice(session.device?.userAgent),
        ip: session.device?.ip ?? '',
        createdAt: shown(session.createdAt),
        lastUsedAt: shown(session.lastUsedAt),
        expiresAt: shown(session.expiresAt),
      })),
    }
  }

  const now = () => Date.now()

  app.get<{ Querystring: { q?: string; done?: string } }>(
    '/admin',
    { schema: { querystring: consoleQuery } },
    async (request, reply) => {
      const cookie = consoleSession(request, token, now())
      if (cookie === undefined) {
        return sendPage(reply, 'admin-sign-in', { title: 'Admin console', script: undefined })
      }
      const query = request.query.q ?? ''
      const done = request.query.done
      const user = query === '' ? undefined : await findUser(query)
      return sendPage(reply, 'admin', {
        title: 'Admin console',
        csrf: consoleCsrf(token, cookie),
        query,
        user,
        lifecycle,
        message:
          done !== undefined && Object.hasOwn(CONSOLE_MESSAGES, done)
            ? CONSOLE_MESSAGES[done]
            : undefined,
        keys: auth.listKeys().map((key) => ({
          kid: key.kid,
          alg: key.alg,
          createdAt: shown(key.createdAt),
          state: key.signing ? 'signing' : key.activatesAt > now() ? 'published' : 'verifies',
          retirable: !key.signing && key.source === 'store',
        })),
        summary: await summary.read(),
        script: 'admin.js',
      })
    },
  )

  app.post<{ Body: { token?: string } }>(
    '/admin/console/sign-in',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { token: { type: 'string', maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      if (!originAllowed(request, config)) {
        return sendError(reply, 403, 'access_denied', 'the Origin is not allowed')
      }
      const wait = await guard.credentialWait('admin', request.ip)
      if (wait > 0) return sendTooManyAttempts(reply, wait)
      const given = request.body?.token ?? ''
      if (!safeEqual(given, token)) {
        await guard.credentialFailed('admin', request.ip)
        return sendPage(
          reply,
          'admin-sign-in',
          { title: 'Admin console', error: 'That is not the admin token.', script: undefined },
          401,
        )
      }
      setConsoleCookie(reply, issueConsoleCookie(token, now()))
      return reply.redirect('/admin', 303)
    },
  )

  /** Registers a console action: Origin, console cookie and CSRF field checked first. */
  function action(path: string, run: (body: ActionBody) => Promise<string>): void {
    app.post<{ Body: ActionBody }>(
      path,
      { schema: { body: actionBody } },
      async (request, reply: FastifyReply) => {
        const cookie = consoleSession(request, token, now())
        if (!originAllowed(request, config)) {
          return sendError(reply, 403, 'access_denied', 'the Origin is not allowed')
        }
        if (cookie === undefined) return reply.redirect('/admin', 303)
        if (!safeEqual(request.body.csrf, consoleCsrf(token, cookie))) {
          return sendError(reply, 403, 'access_denied', 'the CSRF token does not match')
        }
        const done = await run(request.body)
        const back = new URLSearchParams({ done })
        const q = request.body.q ?? request.body.sub
        if (q !== undefined && done !== 'user-deleted') back.set('q', q)
        return reply.redirect(`/admin?${back.toString()}`, 303)
      },
    )
  }

  // Signing out needs no CSRF field: the worst a forged one does is sign the admin out.
  app.post('/admin/console/sign-out', async (request, reply) => {
    if (!originAllowed(request, config)) {
      return sendError(reply, 403, 'access_denied', 'the Origin is not allowed')
    }
    clearConsoleCookie(reply)
    return reply.redirect('/admin', 303)
  })

  const subOf = (body: ActionBody) => {
    if (body.sub === undefined)
      throw Object.assign(new Error('sub is required'), { statusCode: 400 })
    return body.sub
  }

  action('/admin/console/end-session', async (body) => {
    const sessions = await auth.listSessions(subOf(body))
    if (body.sid === undefined || !sessions.some((session) => session.id === body.sid)) {
      return 'failed'
    }
    await auth.revokeSession(body.sid, { actor: 'admin', reason: 'ended in the admin console' })
    return 'session-ended'
  })

  action('/admin/console/end-all', async (body) => {
    await auth.revokeUser(subOf(body), { actor: 'admin', reason: 'ended in the admin console' })
    return 'sessions-ended'
  })

  action('/admin/console/rotate-key', async () => {
    await auth.rotateKeys({ actor: 'admin', reason: 'rotated in the admin console' })
    return 'key-rotated'
  })

  action('/admin/console/retire-key', async (body) => {
    const key = auth.listKeys().find((candidate) => candidate.kid === body.kid)
    if (key === undefined || key.signing || key.source !== 'store') return 'failed'
    await auth.retireKey(key.kid, { actor: 'admin', reason: 'retired in the admin console' })
    return 'key-retired'
  })

  const path = (body: ActionBody, verb = '') =>
    `/admin/users/${encodeURIComponent(subOf(body))}${verb}`

  // Suspension, claims and deletion go through the admin API's own routes (one implementation),
  // and only when this service has them.
  if (lifecycle.suspend) {
    action('/admin/console/suspend', async (body) => {
      // A datetime-local field has no zone: the console says UTC, and reads it so.
      const until =
        body.until === undefined
          ? undefined
          : new Date(/(Z|[+-]\d\d:\d\d)$/.test(body.until) ? body.until : `${body.until}Z`)
      const response = await adminApi('POST', path(body, '/suspend'), {
        ...(until !== undefined &&
          !Number.isNaN(until.getTime()) && { until: until.toISOString() }),
        ...(body.reason !== undefined && { reason: body.reason }),
      })
      return response.statusCode === 200 ? 'suspended' : 'failed'
    })

    action('/admin/console/reinstate', async (body) => {
      const response = await adminApi('POST', path(body, '/reinstate'))
      return response.statusCode === 204 ? 'reinstated' : 'failed'
    })
  }
  if (lifecycle.claims) {
    action('/admin/console/claims', async (body) => {
      let claims: unknown
      try {
        claims = JSON.parse(body.claims ?? '{}')
      } catch {
        return 'failed'
      }
      const response = await adminApi('PUT', path(body, '/claims'), claims)
      return response.statusCode === 200 ? 'claims-saved' : 'failed'
    })
  }
  if (lifecycle.remove) {
    action('/admin/console/delete-user', async (body) => {
      if (body.confirm !== 'yes') return 'failed'
      const response = await adminApi('DELETE', path(body))
      return response.statusCode === 204 ? 'user-deleted' : 'failed'
    })
  }

  app.get('/admin/console/summary', async (request, reply) => {
    if (consoleSession(request, token, now()) === undefined) {
      return sendError(reply, 401, 'invalid_token', 'admin console sign-in required')
    }
    reply.header('cache-control', 'no-store')
    return summary.read()
  })
}
