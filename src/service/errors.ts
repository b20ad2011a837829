/**
 * Errors of the service layer that carry the HTTP answer they stand for; the HTTP layer's error
 * handler (src/server/http.ts) sends them.
 */

/** An error with a status for the error handler (bad input found by our own code). */
export class HttpError extends Error {
  readonly statusCode: number
  readonly oauthError: string
  readonly headers: Record<string, string>
  constructor(
    statusCode: number,
    oauthError: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message)
    this.statusCode = statusCode
    this.oauthError = oauthError
    this.headers = headers
  }
}
