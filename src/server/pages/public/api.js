// The pages' one way to the API: the access token lives here, in memory only; the refresh token
// stays in the HttpOnly __Host- cookie, used through the CSRF token (a header, as cookie mode).
const COOKIES = { 'x-revocable-cookies': '1' }
const JSON_BODY = { 'content-type': 'application/json' }

let accessToken = ''
let csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''

/** The session is gone (ended elsewhere, expired): the refresh cookie was refused. */
export class SignedOut extends Error {}

/** The service could not answer (store down, too many requests): nothing is decided. */
export class Unavailable extends Error {}

const listeners = []

/** Calls `listener` with the claims of every new access token (roles shown by the page). */
export function onClaims(listener) {
  listeners.push(listener)
}

/** The payload of a JWT, read for display only (the server verifies; the page never decides). */
function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    return JSON.parse(atob(part))
  } catch {
    return {}
  }
}

/** Takes a token-set answer (login, refresh, password change, re-authentication). */
export function adopt(tokens) {
  accessToken = tokens.access_token
  if (typeof tokens.csrf_token === 'string') csrf = tokens.csrf_token
  const claims = claimsOf(accessToken)
  for (const listener of listeners) listener(claims)
}

/**
 * The session's current CSRF token. Another tab of this browser may have rotated the shared
 * refresh cookie since this page last refreshed, so the __Host-rvk_csrf cookie (set with every
 * rotation, readable by the page) comes first; the last answer's token otherwise.
 */
function currentCsrf() {
  const prefix = '__Host-rvk_csrf='
  const cookie = document.cookie.split('; ').find((part) => part.startsWith(prefix))
  return cookie === undefined ? csrf : cookie.slice(prefix.length)
}

/** A new access token from the refresh cookie; false when the cookie is refused. */
export async function refresh() {
  const response = await fetch('/oauth/token', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-csrf-token': currentCsrf(),
      ...COOKIES,
    },
    body: 'grant_type=refresh_token',
    credentials: 'same-origin',
  })
  if (response.ok) {
    adopt(await response.json())
    return true
  }
  if (response.status === 429 || response.status >= 500) throw new Unavailable()
  return false
}

/** POSTs JSON without a bearer token (register, login). */
export function post(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { ...JSON_BODY, ...COOKIES },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  })
}

/** True when a 401 asks for a fresh authentication (RFC 9470), not a new token. */
export function needsStepUp(response) {
  return (
    response.status === 401 &&
    (response.headers.get('www-authenticate') ?? '').includes('insufficient_user_authentication')
  )
}

/**
 * Calls the API with the access token. A rejected token (expired, revoked, claims changed) is
 * refreshed once and the call repeated; a refused refresh throws SignedOut.
 */
export async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(body !== undefined && JSON_BODY),
        ...COOKIES,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      credentials: 'same-origin',
    })
    if (response.status !== 401 || needsStepUp(response) || attempt > 0) return response
    if (!(await refresh())) throw new SignedOut()
  }
}

/** The error_description of an answer, or a fallback. */
export async function describe(response, fallback) {
  try {
    const body = await response.json()
    return typeof body.error_description === 'string' ? body.error_description : fallback
  } catch {
    return fallback
  }
}

/** Shows `text` in `element` (text only, never HTML), or hides it when text is empty. */
export function show(element, text) {
  if (element === null) return
  element.textContent = text
  element.hidden = text === ''
}
