import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { calculateJwkThumbprint, exportJWK } from 'jose'
import { isAlgorithm, type Algorithm } from '../../keys/algorithms.js'
import { publicMembers as publicMembersOf } from '../../keys/import.js'
import { parseSigningKeys, secretKid } from '../../service/signing-keys.js'
import {
  CONFIG_HELP,
  configFrom,
  EXIT_OK,
  noExtra,
  output,
  parse,
  positional,
  table,
  UsageError,
  withRuntime,
  type Command,
} from '../command.js'

/** Writes private key material to a new file only its owner may read; never overwrites. */
function writePrivateFile(path: string, text: string): void {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new Error(code === 'EEXIST' ? `${path} exists: not overwritten` : `cannot write ${path}`)
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}

function newPrivateKey(alg: Algorithm): KeyObject {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    case 'HS256':
      return createSecretKey(randomBytes(32))
  }
}

/** `keys generate`: a new key made here, with no store involved. */
async function generate(
  alg: Algorithm,
  format: string,
): Promise<{ kid: string; privateText: string; publicJwk: object | undefined }> {
  const key = newPrivateKey(alg)
  if (alg === 'HS256') {
    if (format === 'pem') throw new UsageError('an HS256 secret has no PEM form: use --format jwk')
    const jwk = await exportJWK(key)
    const kid = secretKid(Buffer.from(jwk.k as string, 'base64url'))
    return { kid, privateText: `${JSON.stringify({ ...jwk, kid, alg })}\n`, publicJwk: undefined }
  }
  const full = await exportJWK(key)
  // Public members by allowlist, as the JWKS does: a member we forgot can never leak.
  const publicMembers = publicMembersOf(full)
  const kid = await calculateJwkThumbprint(publicMembers)
  const privateText =
    format === 'pem'
      ? (key.export({ format: 'pem', type: 'pkcs8' }) as string)
      : `${JSON.stringify({ ...full, kid, alg })}\n`
  return { kid, privateText, publicJwk: { ...publicMembers, kid, alg, use: 'sig' } }
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'list, generate, import, export, rotate or retire signing keys',
  help: `Usage: revocable keys list [--json]
       revocable keys generate [--alg ES256|EdDSA|RS256|HS256] [--format jwk|pem]
                               (--out <file> | --print-private) [--json]
       revocable keys import <file> [--now] [--json]
       revocable keys export-public [--json]
       revocable keys rotate [--now] [--json]
       revocable keys retire <kid> [--json]

list           every key that still verifies, and which one signs
generate       make a new key pair (or HMAC secret) here, touching no store: the private key
               goes to --out (a new file, mode 0600), the public JWK to stdout. Use the file
               as SIGNING_KEYS. Private material is printed only with --print-private.
import         store a private key or secret from <file> (JWK, PEM or secret:…) for every
               instance, sealed under KEY_ENCRYPTION_KEY; it signs after KEY_PUBLISH_LEAD
export-public  the public JWK set (what /.well-known/jwks.json serves); never a private member
rotate         generate a new key: published at once, it signs after KEY_PUBLISH_LEAD seconds
               (--now: at once, e.g. to replace a compromised key); old keys keep verifying
retire         reject every token signed with <kid> from now on, on every instance

${CONFIG_HELP}`,
  async run(args, io) {
    const parsed = parse(args, {
      now: { type: 'boolean' },
      alg: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'print-private': { type: 'boolean' },
    })
    const json = parsed.values.json === true
    const now = parsed.values.now === true
    const action = positional(parsed, 0, 'list|generate|import|export-public|rotate|retire')
    if (action === 'generate') {
      noExtra(parsed, 1)
      const alg = (parsed.values.alg as string | undefined) ?? 'ES256'
      if (!isAlgorithm(alg)) throw new UsageError('--alg must be ES256, EdDSA, RS256 or HS256')
      const format = (parsed.values.format as string | undefined) ?? 'jwk'
      if (format !== 'jwk' && format !== 'pem') throw new UsageError('--format must be jwk or pem')
      const out = parsed.values.out as string | undefined
      const printPrivate = parsed.values['print-private'] === true
      if (out === undefined && !printPrivate) {
        throw new UsageError('give --out <file> for the private key (or --print-private)')
      }
      const { kid, privateText, publicJwk } = await generate(alg, format)
      if (out !== undefined) writePrivateFile(out, privateText)
      if (printPrivate) io.out(privateText.trimEnd())
      output(
        io,
        json,
        { kid, alg, ...(out !== undefined && { file: out }), publicJwk },
        [
          `new ${alg} key ${kid}${out === undefined ? '' : ` written to ${out} (mode 0600)`}`,
          ...(publicJwk === undefined
            ? ['(an HMAC secret has no public part)']
            : [JSON.stringify(publicJwk)]),
        ].join('\n'),
      )
      return EXIT_OK
    }
    const config = configFrom(parsed, io)
    switch (action) {
      case 'list': {
        noExtra(parsed, 1)
        const keys = await withRuntime(config, io, async ({ auth }) => auth.listKeys())
        const rows = keys.map((key) => ({
          kid: key.kid,
          alg: key.alg,
          createdAt: new Date(key.createdAt).toISOString(),
          source: key.source,
          signing: key.signing,
        }))
        output(
          io,
          json,
          { keys: rows },
          table([
            ['KID', 'ALG', 'CREATED', 'SOURCE', 'SIGNING'],
            ...rows.map((r) => [r.kid, r.alg, r.createdAt, r.source, r.signing ? 'yes' : '']),
          ]),
        )
        return EXIT_OK
      }
      case 'export-public': {
        noExtra(parsed, 1)
        const jwks = await withRuntime(config, io, async ({ auth }) => auth.jwks())
        io.out(JSON.stringify(jwks, null, json ? 2 : undefined))
        return EXIT_OK
      }
      case 'import': {
        const file = positional(parsed, 1, 'file')
        noExtra(parsed, 2)
        let inputs
        try {
          inputs = parseSigningKeys(file)
        } catch (error) {
          throw new Error((error as Error).message)
        }
        if (inputs.length !== 1) throw new Error(`${file} must hold exactly one key`)
        const input = inputs[0] as (typeof inputs)[number]
        // Importing a key may provision a new store before the service first starts (as
        // `serve` does): the one command besides serve that creates a store.
        const { kid, activatesAt } = await withRuntime(
          config,
          io,
          async ({ auth }) => {
            const kid = await auth.importKey(input, now ? { lead: 0 } : {})
            const activatesAt = auth.listKeys().find((key) => key.kid === kid)?.activatesAt ?? 0
            return { kid, activatesAt }
          },
          { create: true },
        )
        const when = new Date(activatesAt).toISOString()
        output(io, json, { kid, activatesAt: when }, `imported key ${kid}: signs from ${when}`)
        return EXIT_OK
      }
      case 'rotate': {
        noExtra(parsed, 1)
        const { kid, activatesAt } = await withRuntime(config, io, async ({ auth }) => {
          const kid = await auth.rotateKeys(now ? { lead: 0 } : {})
          const activatesAt = auth.listKeys().find((key) => key.kid === kid)?.activatesAt ?? 0
          return { kid, activatesAt }
        })
        const when = new Date(activatesAt).toISOString()
        output(
          io,
          json,
          { kid, activatesAt: when },
          now ? `new signing key ${kid}` : `new key ${kid}: published now, signs from ${when}`,
        )
        return EXIT_OK
      }
      case 'retire': {
        const kid = positional(parsed, 1, 'kid')
        noExtra(parsed, 2)
        await withRuntime(config, io, async ({ auth }) => {
          if (!auth.listKeys().some((key) => key.kid === kid)) {
            throw new Error(`no key with kid "${kid}"`)
          }
          await auth.retireKey(kid)
        })
        output(io, json, { retired: kid }, `retired key ${kid}`)
        return EXIT_OK
      }
      default:
        throw new UsageError(
          `unknown action "${action}" (list, generate, import, export-public, rotate or retire)`,
        )
    }
  },
}
