/**
 * Captures what the service logs (pino writes JSON lines to a stream) so a test can search the
 * log of a whole run for secrets that must never appear in it.
 */
import { Writable } from 'node:stream'

export interface LogCapture {
  /** Give it to `buildApp` / `startService` as the log stream. */
  readonly stream: Writable
  /** Every line written so far. */
  readonly lines: string[]
  /** The lines that contain `secret` (as written, or JSON-escaped as pino writes it). */
  linesWith(secret: string): string[]
}

export function captureLogs(): LogCapture {
  const lines: string[] = []
  let partial = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = partial + chunk.toString('utf8')
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      lines.push(...parts.filter((line) => line !== ''))
      done()
    },
  })
  return {
    stream,
    lines,
    linesWith(secret) {
      const escaped = JSON.stringify(secret).slice(1, -1)
      const all = partial === '' ? lines : [...lines, partial]
      return all.filter((line) => line.includes(secret) || line.includes(escaped))
    },
  }
}
