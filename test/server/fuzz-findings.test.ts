// What the fuzz of the service found (issue 11), one test each: Fastify's own answers to a bad
// path echoed the path back; a repeated form parameter echoed its name, whatever it was.
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, test } from 'node:test'
import { clientBasic, postForm, startService, type Service } from './support.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

/** Sends raw bytes (no client rewrites the path) and returns the raw answer. */
function raw(request: string): Promise<string> {
  const { port } = new URL(service.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(request, 'latin1'))
    let answer = ''
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')))
    socket.on('close', () => resolve(answer))
    socket.on('error', reject)
  })
}

/** Splits a raw HTTP/1.1 answer and checks that Content-Length is the body's real length. */
function parse(answer: string): { status: number; body: unknown } {
  const end = answer.indexOf('\r\n\r\n')
  const head = answer.slice(0, end)
  const body = answer.slice(end + 4)
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1]
  assert.equal(Number(length), Buffer.byteLength(body, 'latin1'), 'Content-Length matches')
  return {
    status: Number(head.split(' ')[1]),
    body: JSON.parse(Buffer.from(body, 'latin1').toString()),
  }
}

test('an over-long path parameter is a 414 with the usual JSON error, not an echo of the path', async () => {
  const id = `Q${'%E8%B0%84'.repeat(300)}`
  const answer = parse(
    await raw(`DELETE /auth/sessions/${id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
  )
  assert.deepEqual(answer, {
    status: 414,
    body: { error: 'invalid_request', error_description: 'a path segment is too long' },
  })
})

test('a malformed percent-encoding in a path parameter is a 400 that does not echo the path', async () => {
  const answer = parse(
    await raw(
      `GET /admin/users/%E0%A4%A/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ),
  )
  assert.deepEqual(answer, {
    status: 400,
    body: { error: 'invalid_request', error_description: 'malformed request' },
  })
})

test('a repeated form parameter is named only when its name is a plain parameter name', async () => {
  const hostile = await postForm(
    service,
    '/oauth/revoke',
    'x%E2%80%A8%22y=1&x%E2%80%A8%22y=2',
    clientBasic(),
  )
  assert.equal(hostile.status, 400)
  assert.deepEqual(await hostile.json(), {
    error: 'invalid_request',
    error_description: 'a parameter is given more than once',
  })
  const plain = await postForm(service, '/oauth/revoke', 'token=1&token=2', clientBasic())
  assert.deepEqual(await plain.json(), {
    error: 'invalid_request',
    error_description: 'parameter token is given more than once',
  })
})
