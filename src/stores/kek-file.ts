import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'

// Why this file is in stores/ and not keys/: it is plain file I/O on a store's own file (the
// SQLite store keeps its key-encryption key beside its database and offers it through
// `Store.localKeyEncryptionKey`), it imports nothing from src/, and keys/ sits above stores/
// (the key ring reads and writes keys through the store), so a store must not import keys/.
// Parsing and using the KEK stays in keys/envelope.ts. (Moved from keys/kek-file.ts, issue #18.)

/**
 * Reads the key-encryption key kept in a file of its own (mode 0600), creating it with a fresh
 * random key when there is none: the embedded SQLite store keeps it beside the database, so a
 * copy of the database alone does not open the keys. A file others may read is refused.
 *
 * @example
 * const kek = readOrCreateKekFile('./data/revocable.db.kek')
 */
export function readOrCreateKekFile(path: string): Uint8Array {
  try {
    const fd = openSync(path, 'wx', 0o600)
    try {
      writeSync(fd, `${randomBytes(32).toString('base64url')}\n`)
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return readKekFile(path)
}

/** Reads a key-encryption key file (base64, base64url or hex text of 32 bytes); refuses 0644. */
export function readKekFile(path: string): Uint8Array {
  const mode = statSync(path).mode & 0o777
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new TypeError(
      `key-encryption key file ${path} may be read by others (mode ${mode.toString(8)}): chmod 600 it`,
    )
  }
  const text = readFileSync(path, 'utf8').trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(text)
    ? Buffer.from(text, 'hex')
    : Buffer.from(text, 'base64url')
  if (bytes.length !== 32) {
    throw new TypeError(`key-encryption key file ${path} must hold 32 bytes as base64 or hex text`)
  }
  return bytes
}
