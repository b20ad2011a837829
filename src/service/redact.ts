/**
 * Secrets that arrive inside URLs, taken out before the URL reaches a log line or an error
 * message: query-string values (`/auth/me?access_token=…`, which some clients send although the
 * service never reads it) and the userinfo of a URL (`redis://user:password@host`).
 */

const REDACTED = '[redacted]'

// scheme://userinfo@ — the userinfo is everything up to the last @ before the host ends.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']*@/gi

/**
 * Replaces the `user:password@` of every URL in `text` with `[redacted]@`.
 *
 * @example
 * redactUrlCredentials('could not connect to redis://app:s3cret@db:6379')
 * // 'could not connect to redis://[redacted]@db:6379'
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, `$1${REDACTED}@`)
}

// A query parameter name worth keeping in a log: short and plain. Anything else (a token sent
// as a bare `?eyJ…`) is itself redacted.
const PLAIN_NAME = /^[A-Za-z0-9_.-]{1,32}$/

/**
 * A request target (path and query) with every query value replaced by `[redacted]`; the
 * service reads nothing from the query, so a value there is at best noise and at worst a token.
 *
 * @example
 * redactQuery('/auth/me?access_token=eyJ…&x=1') // '/auth/me?access_token=[redacted]&x=[redacted]'
 */
export function redactQuery(target: string): string {
  const mark = target.indexOf('?')
  if (mark === -1) return target
  const query = target
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=')
      const name = equals === -1 ? pair : pair.slice(0, equals)
      const shown = PLAIN_NAME.test(name) ? name : REDACTED
      return equals === -1 ? shown : `${shown}=${REDACTED}`
    })
    .join('&')
  return `${target.slice(0, mark)}?${query}`
}
