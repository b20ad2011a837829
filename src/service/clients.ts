/**
 * The OAuth clients the service knows and what each may do. `CLIENTS` takes two forms:
 *
 * - `id:secret,id2:secret2`: confidential clients with the default rights (both grants, no
 *   scopes, resource server: they may introspect and revoke every token).
 * - a JSON array (inline, or in the file `CLIENTS_FILE` names) of
 *   `{id, secret?, public?, grant_types?, scopes?, resource_server?}`: rights spelled out, least
 *   privilege by default.
 *
 * A public client has no secret: it names itself with `client_id` and may only act on tokens
 * issued to it (refresh, revoke). A client that may not see a token is answered as for an
 * unknown token (RFC 7009 §2.1, RFC 7662 §2.2).
 */

export type GrantType = 'refresh_token' | 'client_credentials'

export interface ClientRecord {
  readonly id: string
  /** Undefined for a public client. */
  readonly secret: string | undefined
  /** Grants the client may use at the token endpoint (a login is a `refresh_token` session). */
  readonly grantTypes: readonly GrantType[]
  /** Scopes `client_credentials` may grant it; any other scope is `invalid_scope`. */
  readonly scopes: readonly string[]
  /** May introspect and revoke tokens issued to other clients and to no client. */
  readonly resourceServer: boolean
}

const GRANT_TYPES: readonly GrantType[] = ['refresh_token', 'client_credentials']
const FIELDS = new Set(['id', 'secret', 'public', 'grant_types', 'scopes', 'resource_server'])
/** RFC 6749 §3.3 scope-token; client ids: printable ASCII without ':' ',' or space. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/
const CLIENT_ID = /^[\x21-\x2B\x2D-\x39\x3B-\x7E]{1,128}$/

/** A client declaration that cannot be used; the caller names the variable. */
export class ClientConfigError extends Error {}

function fail(message: string): never {
  throw new ClientConfigError(message)
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !CLIENT_ID.test(id)) {
    fail('needs client ids of 1 to 128 printable characters without ":", "," or spaces')
  }
  return id
}

function stringList(id: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    fail(`client "${id}": "${field}" must be an array of strings`)
  }
  return value as string[]
}

function parseEntry(
  entry: unknown,
  checkSecret: (id: string, secret: string) => void,
): ClientRecord {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    fail('must be a JSON array of client objects')
  }
  const record = entry as Record<string, unknown>
  const id = checkId(record.id)
  for (const field of Object.keys(record)) {
    if (!FIELDS.has(field)) fail(`client "${id}": unknown field "${field}"`)
  }
  const isPublic = record.public ?? false
  if (typeof isPublic !== 'boolean') fail(`client "${id}": "public" must be true or false`)
  const resourceServer = record.resource_server ?? false
  if (typeof resourceServer !== 'boolean') {
    fail(`client "${id}": "resource_server" must be true or false`)
  }
  const grantTypes = stringList(
    id,
    'grant_types',
    record.grant_types ?? (isPublic ? ['refresh_token'] : GRANT_TYPES),
  )
  if (grantTypes.some((grant) => !GRANT_TYPES.includes(grant as GrantType))) {
    fail(`client "${id}": "grant_types" may only hold ${GRANT_TYPES.join(' and ')}`)
  }
  const scopes = stringList(id, 'scopes', record.scopes ?? [])
  if (scopes.some((scope) => !SCOPE_TOKEN.test(scope))) {
    fail(`client "${id}": every scope must be an RFC 6749 scope token`)
  }
  if (isPublic) {
    if (
      record.secret !== undefined ||
      resourceServer ||
      grantTypes.includes('client_credentials')
    ) {
      fail(
        `client "${id}" is public: it has no secret, cannot be a resource server and cannot use client_credentials`,
      )
    }
    return Object.freeze({
      id,
      secret: undefined,
      grantTypes: Object.freeze(grantTypes as GrantType[]),
      scopes: Object.freeze(scopes),
      resourceServer: false,
    })
  }
  if (typeof record.secret !== 'string') fail(`client "${id}" needs a secret, or "public": true`)
  checkSecret(id, record.secret)
  return Object.freeze({
    id,
    secret: record.secret,
    grantTypes: Object.freeze(grantTypes as GrantType[]),
    scopes: Object.freeze(scopes),
    resourceServer,
  })
}

function parseCompact(
  text: string,
  checkSecret: (id: string, secret: string) => void,
): ClientRecord[] {
  return text.split(',').map((entry) => {
    const colon = entry.indexOf(':')
    const id = entry.slice(0, colon).trim()
    const secret = entry.slice(colon + 1).trim()
    if (colon <= 0 || id === '' || secret === '') {
      fail('must be a list of id:secret pairs separated by commas, or a JSON array')
    }
    checkId(id)
    checkSecret(id, secret)
    // Today's rights for this form: both grants, no scopes, a resource server.
    return Object.freeze({
      id,
      secret,
      grantTypes: GRANT_TYPES,
      scopes: Object.freeze([]),
      resourceServer: true,
    })
  })
}

/**
 * Parses `CLIENTS` (either form) into id -> client. `checkSecret` throws for a weak secret.
 * Throws a `ClientConfigError` whose message names the client and the field, never a secret.
 *
 * @example
 * parseClients('[{"id":"spa","public":true}]', () => {}).get('spa')?.secret // undefined
 */
export function parseClients(
  text: string | undefined,
  checkSecret: (id: string, secret: string) => void,
): ReadonlyMap<string, ClientRecord> {
  const clients = new Map<string, ClientRecord>()
  if (text === undefined || text.trim() === '') return clients
  let records: ClientRecord[]
  const trimmed = text.trim()
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      fail('is not valid JSON')
    }
    if (!Array.isArray(parsed)) fail('must be a JSON array of client objects')
    records = parsed.map((entry) => parseEntry(entry, checkSecret))
  } else {
    records = parseCompact(trimmed, checkSecret)
  }
  for (const record of records) {
    if (clients.has(record.id)) fail(`lists client "${record.id}" twice`)
    clients.set(record.id, record)
  }
  return clients
}

/** May `client` see (introspect, revoke) a token issued to `tokenClientId`? */
export function maySeeToken(client: ClientRecord, tokenClientId: string | undefined): boolean {
  return client.resourceServer || tokenClientId === client.id
}

/** The requested scopes `client` may not have, for `invalid_scope`; empty when all are allowed. */
export function scopesNotAllowed(client: ClientRecord, scope: string | undefined): string[] {
  if (scope === undefined) return []
  return scope.split(' ').filter((item) => !client.scopes.includes(item))
}
