/**
 * The pages a person uses, served by the service on its own origin with no extra configuration:
 * sign in and register (`/`, `/register`), "your devices" (`/account`) and, when ADMIN_TOKEN is
 * set, the admin console (`/admin`). Server-rendered with eta through @fastify/view (escaping on),
 * assets from ./public through @fastify/static, and a strict Content-Security-Policy through
 * @fastify/helmet: scripts, styles and requests to this origin only, nothing inline, never framed.
 * The headers apply to the pages' routes only (this scope): the JSON API is unchanged.
 *
 * The pages hold the access token in memory and the refresh token in the `__Host-` cookie,
 * asking the API for cookie delivery with `X-Revocable-Cookies: 1` (src/server/cookies.ts), so
 * they work whether COOKIE_MODE is on or off.
 */
import { fileURLToPath } from 'node:url'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyInstance } from 'fastify'
import type { ServiceContext } from '../context.js'
import { parseForm, FORM } from '../form.js'
import { accountPages } from './account.js'
import { adminConsole } from './admin-console.js'

export const VIEWS = fileURLToPath(new URL('views/', import.meta.url))
export const ASSETS = fileURLToPath(new URL('public/', import.meta.url))

/** The pages' Content-Security-Policy: this origin only, nothing inline, never in a frame. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
}

export async function pageRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const https = new URL(context.config.issuer).protocol === 'https:'
  await app.register(helmet, {
    // No upgrade-insecure-requests: on http://localhost it would send every asset to https.
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    // Not no-referrer: with it Chromium sends `Origin: null` on form posts, which the Origin
    // check refuses. Nothing leaves this origin either way.
    referrerPolicy: { policy: 'same-origin' },
    // HSTS only where the issuer is https (on http it is ignored, and would pin localhost).
    hsts: https,
  })
  await app.register(fastifyStatic, {
    root: ASSETS,
    prefix: '/assets/',
    wildcard: false,
    index: false,
    redirect: false,
    serveDotFiles: false,
  })
  await app.register(view, {
    engine: { eta: new Eta({ views: VIEWS, autoEscape: true, cache: true }) },
    root: VIEWS,
    viewExt: 'eta',
  })
  // The admin console's forms (urlencoded, a parameter given twice refused).
  app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
  await accountPages(app, context)
  await adminConsole(app, context)
}
