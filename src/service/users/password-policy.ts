/**
 * What a new password must be (NIST SP 800-63B §5.1.1.2): at least 8 characters, up to 256 (the
 * guideline asks for at least 64), not on the list of common and breached passwords, not a run
 * of one repeated or sequential character, not the username. No composition rules, no forced
 * changes: those make passwords worse, not stronger.
 */
import { isCommonPassword } from './common-passwords.js'

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 256

/** `aaaaaaaa`, `abcdefgh`, `87654321`: every step between characters the same (0 or ±1). */
function isRun(points: readonly number[]): boolean {
  const step = (points[1] as number) - (points[0] as number)
  if (Math.abs(step) > 1) return false
  return points.every(
    (point, index) => index === 0 || point - (points[index - 1] as number) === step,
  )
}

/**
 * Why `password` may not be used by `username`, as a message for a 400; undefined when it may.
 * Lengths are counted in characters (code points) after NFC normalisation.
 *
 * @example
 * checkPassword('12345678', 'alice') // 'the password is too common: …'
 * checkPassword('correct horse battery staple', 'alice') // undefined
 */
export function checkPassword(password: string, username: string): string | undefined {
  const normal = password.normalize('NFC')
  const points = [...normal].map((character) => character.codePointAt(0) as number)
  if (points.length < PASSWORD_MIN_LENGTH) {
    return `the password must be at least ${PASSWORD_MIN_LENGTH} characters`
  }
  if (points.length > PASSWORD_MAX_LENGTH) {
    return `the password must be at most ${PASSWORD_MAX_LENGTH} characters`
  }
  if (normal.toLowerCase() === username.normalize('NFC').toLowerCase()) {
    return 'the password must not be the username'
  }
  if (isCommonPassword(normal)) {
    return 'the password is too common: it appears in lists of breached passwords'
  }
  if (isRun(points)) return 'the password must not be a repeated or sequential run'
  return undefined
}
