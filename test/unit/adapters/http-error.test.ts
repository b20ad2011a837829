import assert from 'node:assert/strict'
import { describe, test } from 'node:test'

import { readBearerHeader } from '../../../src/adapters/bearer.js'
import {
  bearerChallenge,
  bearerErrorResponse,
  fallbackResponse,
  safeDescription,
  sendable,
  insufficientScopeResponse,
  missingTokenResponse,
} from '../../../src/adapters/http-error.js'
import {
  ClaimsChanged,
  ERROR_TABLE,
  InsufficientUserAuthentication,
  RefreshTokenReused,
  StoreUnavailable,
  TokenExpired,
  TokenRevoked,
  UserSuspended,
} from '../../../src/errors.js'

describe('bearerErrorResponse', () => {
  test('a revoked token is a 401 invalid_token with an RFC 6750 challenge', () => {
    const response = bearerErrorResponse(new TokenRevoked('session'))
    assert.equal(response.status, 401)
    assert.equal(
      response.headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="token has been revoked (session)"',
    )
    assert.deepEqual(response.body, {
      error: 'invalid_token',
      error_description: 'token has been revoked (session)',
    })
  })

  test('a token-endpoint error met at a resource server is still invalid_token', () => {
    assert.equal(ERROR_TABLE.ERR_REFRESH_TOKEN_REUSED.status, 400)
    const response = bearerErrorResponse(new RefreshTokenReused())
    assert.equal(response.status, 401)
    assert.equal(response.body.error, 'invalid_token')
  })

  test('a store outage is a 503 with Retry-After and no challenge', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379')
    const response = bearerErrorResponse(new StoreUnavailable('redis is down', { cause }))
    assert.equal(response.status, 503)
    assert.equal(response.headers['retry-after'], '1')
    assert.equal(response.headers['www-authenticate'], undefined)
    assert.equal(response.body.error, 'temporarily_unavailable')
    assert.doesNotMatch(JSON.stringify(response), /ECONNREFUSED|redis is down/)
  })

  test('an error that is not ours is a 500 that says nothing about itself', () => {
    const response = bearerErrorResponse(new Error('secret internals at /srv/app.js:12'))
    assert.equal(response.status, 500)
    assert.deepEqual(response.body, { error: 'server_error', error_description: 'internal error' })
  })

  test('the realm comes first in the challenge', () => {
    const response = bearerErrorResponse(new TokenExpired('token has expired'), 'api')
    assert.match(
      response.headers['www-authenticate'] ?? '',
      /^Bearer realm="api", error="invalid_token"/,
    )
  })
})

describe('challenges', () => {
  test('a request without a token gets a bare challenge with no error code', () => {
    const response = missingTokenResponse()
    assert.equal(response.status, 401)
    assert.equal(response.headers['www-authenticate'], 'Bearer')
  })

  test('a missing scope is a 403 insufficient_scope naming the scope', () => {
    const response = insufficientScopeResponse('admin')
    assert.equal(response.status, 403)
    assert.equal(
      response.headers['www-authenticate'],
      'Bearer error="insufficient_scope", error_description="the token lacks the scope admin", scope="admin"',
    )
  })

  test('quotes and backslashes cannot break out of a challenge parameter', () => {
    assert.equal(
      bearerChallenge({ error_description: 'a"b\\c' }),
      `Bearer error_description="a'b?c"`,
    )
  })

  test('every challenge parameter holds only what RFC 6750 §3 allows, whatever it was given', () => {
    const hostile = 'alg \u0100 \x7f \u2028 € \ud800 \r\n\0 "x"'
    const challenge = bearerChallenge(
      { error: 'invalid_token', error_description: hostile },
      hostile,
    )
    assert.equal(
      challenge,
      `Bearer realm="alg ? ? ? ? ? ??? 'x'", error="invalid_token", error_description="alg ? ? ? ? ? ??? 'x'"`,
    )
  })
})

describe('safeDescription', () => {
  test('keeps plain text and turns a double quote into a single one', () => {
    assert.equal(safeDescription('"alg" header must be a string'), "'alg' header must be a string")
  })

  test('cuts a long message at 200 characters', () => {
    assert.equal(safeDescription('x'.repeat(1000)).length, 200)
  })
})

describe('sendable', () => {
  test('an answer whose header a framework would refuse becomes the fixed 401', () => {
    const answer = sendable({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error_description="\u0100"' },
      body: { error: 'invalid_token', error_description: 'x' },
    })
    assert.deepEqual(answer, fallbackResponse(401))
    assert.equal(
      answer.headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="invalid token"',
    )
  })

  test('a well-formed answer is sent as it is', () => {
    const answer = bearerErrorResponse(new TokenExpired('token has expired'), 'api')
    assert.equal(sendable(answer), answer)
  })

  test('the fallback of a 503 keeps Retry-After', () => {
    assert.equal(fallbackResponse(503).headers['retry-after'], '1')
  })
})

describe('readBearerHeader', () => {
  test('no header or an empty one means no token', () => {
    assert.deepEqual(readBearerHeader(undefined), { kind: 'absent' })
    assert.deepEqual(readBearerHeader(''), { kind: 'absent' })
  })

  test('the scheme is case-insensitive and the token is returned as sent', () => {
    assert.deepEqual(readBearerHeader('bearer a.b-c_d~e+f/g=='), {
      kind: 'token',
      token: 'a.b-c_d~e+f/g==',
    })
  })

  test('other schemes, missing tokens, inner spaces and repeated headers are malformed', () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b']) {
      assert.deepEqual(readBearerHeader(value), { kind: 'malformed' }, value)
    }
    assert.deepEqual(readBearerHeader(['Bearer a', 'Bearer b']), { kind: 'malformed' })
  })
})

test('a stale authentication answers RFC 9470: insufficient_user_authentication with max_age', () => {
  const answer = bearerErrorResponse(new InsufficientUserAuthentication(300), 'api')
  assert.equal(answer.status, 401)
  assert.equal(
    answer.headers['www-authenticate'],
    'Bearer realm="api", error="insufficient_user_authentication", ' +
      'error_description="a more recent authentication is required", max_age="300"',
  )
  assert.deepEqual(answer.body, {
    error: 'insufficient_user_authentication',
    error_description: 'a more recent authentication is required',
  })
  assert.deepEqual(sendable(answer), answer)
})

test('a claims change answers invalid_token telling the client to refresh; a suspension 403s', () => {
  const answer = bearerErrorResponse(new ClaimsChanged())
  assert.equal(answer.status, 401)
  assert.match(answer.headers['www-authenticate'] ?? '', /error="invalid_token"/)
  assert.match(answer.body.error_description, /refresh the access token/)
  assert.deepEqual(new UserSuspended().http, { status: 403, oauthError: 'access_denied' })
})
