// Login, logout, profile and refresh with httpOnly cookies, on Express and revocable.
// Run: npm run build && node examples/express-cookies/index.js
import { pathToFileURL } from 'node:url'
import express from 'express'
import { createRevocable } from 'revocable'
import { authenticate } from 'revocable/express'

// Demo users; a real app checks a password hash.
const USERS = new Map([['alice', 'wonderland']])

const cookieOptions = {
  httpOnly: true,
  sameSite: 'strict',
  secure: process.env.NODE_ENV === 'production',
}

function readCookie(req, name) {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return undefined
}

function setTokens(res, tokens) {
  res.cookie('access_token', tokens.accessToken, {
    ...cookieOptions,
    maxAge: tokens.expiresIn * 1000,
  })
  // The refresh token only ever travels to /refresh and /logout.
  res.cookie('refresh_token', tokens.refreshToken, { ...cookieOptions, path: '/auth' })
}

/** Builds the app on a Revocable (memory store by default) and listens on `port`. */
export async function start({ port = 3000, auth } = {}) {
  auth ??= await createRevocable({ issuer: 'http://localhost', audience: 'express-cookies' })
  const app = express()
  app.use(express.json())

  app.post('/auth/login', async (req, res) => {
    const { username, password } = req.body ?? {}
    if (USERS.get(username) !== password)
      return res.status(401).json({ error: 'invalid credentials' })
    const tokens = await auth.startSession({
      sub: username,
      device: { userAgent: req.get('user-agent'), ip: req.ip },
    })
    setTokens(res, tokens)
    res.json({ sub: username, expiresIn: tokens.expiresIn })
  })

  app.post('/auth/refresh', async (req, res) => {
    const refreshToken = readCookie(req, 'refresh_token')
    if (refreshToken === undefined) return res.status(401).json({ error: 'no refresh token' })
    try {
      const tokens = await auth.refresh(refreshToken)
      setTokens(res, tokens)
      res.json({ expiresIn: tokens.expiresIn })
    } catch (error) {
      // A reused refresh token has revoked the whole session: the client must log in again.
      res.status(error.http?.status ?? 500).json({ error: error.code ?? 'internal error' })
    }
  })

  // Logout must not need a live access token: it expires after a few minutes (and the browser
  // then drops its cookie), while the refresh cookie keeps the session alive for weeks. The
  // refresh token names its session, so it is what ends it.
  app.post('/auth/logout', async (req, res) => {
    const refreshToken = readCookie(req, 'refresh_token')
    const accessToken = readCookie(req, 'access_token')
    if (refreshToken !== undefined) {
      await auth.revokeRefreshToken(refreshToken, { reason: 'logout' }) // idempotent
    } else if (accessToken !== undefined) {
      const claims = await auth.verify(accessToken).catch((error) => {
        // A store outage must not look like a logout that happened (Express answers 500).
        if (error.code === 'ERR_STORE_UNAVAILABLE') throw error
        return undefined // expired or already revoked: no session left to end
      })
      if (claims !== undefined) await auth.revokeSession(claims.sid, { reason: 'logout' })
    }
    res.clearCookie('access_token', cookieOptions)
    res.clearCookie('refresh_token', { ...cookieOptions, path: '/auth' })
    res.status(204).end()
  })

  app.get('/profile', authenticate(auth, { cookie: 'access_token' }), (req, res) => {
    res.json({ sub: req.auth.sub, sid: req.auth.sid })
  })

  const server = app.listen(port, '127.0.0.1')
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve))
      await auth.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await start({ port: Number(process.env.PORT ?? 3000) })
  console.log(`listening on ${url}`)
}
