/**
 * application/x-www-form-urlencoded for the OAuth endpoints (RFC 6749 Appendix B), stricter
 * than a generic parser: a parameter given twice is an error (RFC 6749 §3.1, §3.2), and one
 * given without a value counts as omitted.
 */
import type { FastifyInstance } from 'fastify'
import { HttpError } from './http.js'

export const FORM = 'application/x-www-form-urlencoded'

const PLAIN_NAME = /^[a-z_]{1,32}$/

export function parseForm(text: string): Record<string, string> {
  // A null prototype: a parameter named __proto__ is just a (rejected) parameter.
  const body = Object.create(null) as Record<string, string>
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (seen.has(name)) {
      // The name is the client's text: named only when it is a plain parameter name.
      const which = PLAIN_NAME.test(name) ? `parameter ${name}` : 'a parameter'
      throw new HttpError(400, 'invalid_request', `${which} is given more than once`)
    }
    seen.add(name)
    if (value !== '') body[name] = value
  }
  return body
}

/** Makes `scope` accept forms only: JSON and text bodies get 415. */
export function acceptFormsOnly(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
}

/** Makes `scope` accept JSON only: forms and text bodies get 415. */
export function acceptJsonOnly(scope: FastifyInstance): void {
  scope.removeContentTypeParser(['text/plain'])
}
