import {
  adopt,
  api,
  describe,
  needsStepUp,
  onClaims,
  refresh,
  show,
  SignedOut,
  Unavailable,
} from './api.js'

const status = document.getElementById('status')
const error = document.getElementById('error')
const table = document.getElementById('devices')
const loading = document.getElementById('loading')

// Roles come from the access token: after an admin changes them, the next call's refresh
// brings the new ones here, with no sign-in.
onClaims((claims) => {
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r) => typeof r === 'string') : []
  document.getElementById('roles').textContent = roles.length === 0 ? 'none' : roles.join(', ')
  const since = typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : undefined
  document.getElementById('auth-time').textContent =
    since === undefined ? 'unknown' : since.toLocaleString()
})

/** Back to sign-in with a fixed notice (one of the sign-in page's allowlist). */
function leave(notice) {
  window.location.replace(`/?notice=${notice}`)
}

/**
 * Runs a user action: a session ended elsewhere sends the page to sign-in with the notice, an
 * outage is said as such, and nothing else is guessed.
 */
async function act(run) {
  show(error, '')
  show(status, '')
  try {
    await run()
  } catch (failure) {
    if (failure instanceof SignedOut) return leave('ended')
    if (failure instanceof Unavailable) return show(error, 'The service is unavailable. Try again.')
    show(error, 'The service could not be reached. Try again.')
  }
}

function when(iso) {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString()
}

function cell(row, label, text) {
  const td = document.createElement('td')
  td.dataset.label = label
  td.textContent = text
  row.append(td)
  return td
}

function timeCell(row, label, iso) {
  const td = cell(row, label, '')
  const time = document.createElement('time')
  time.dateTime = iso
  time.textContent = when(iso)
  td.append(time)
}

function render(sessions) {
  const body = table.tBodies[0]
  body.replaceChildren()
  for (const session of sessions) {
    const row = document.createElement('tr')
    row.dataset.session = session.id
    const name = `${session.browser} on ${session.os}`
    const device = cell(row, 'Device', name)
    if (session.current) {
      row.classList.add('current')
      const badge = document.createElement('span')
      badge.className = 'badge'
      badge.textContent = 'This device'
      device.append(' ', badge)
    }
    cell(row, 'IP address', session.ip ?? '')
    timeCell(row, 'Signed in', session.created_at)
    timeCell(row, 'Last active', session.last_used_at)
    timeCell(row, 'Expires', session.expires_at)
    const action = cell(row, '', '')
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'danger small'
    button.textContent = 'Sign out'
    button.setAttribute(
      'aria-label',
      session.current
        ? 'Sign out of this device'
        : `Sign out ${name}, signed in ${when(session.created_at)}`,
    )
    button.addEventListener('click', () =>
      session.current ? signOut() : act(() => endSession(session.id, name)),
    )
    action.append(button)
    body.append(row)
  }
  loading.hidden = true
  table.hidden = false
}

async function loadDevices() {
  const response = await api('GET', '/account/sessions')
  if (!response.ok) return show(error, await describe(response, 'The devices could not be loaded.'))
  render((await response.json()).sessions)
}

async function endSession(id, name) {
  const response = await api('DELETE', `/auth/sessions/${encodeURIComponent(id)}`)
  if (response.status !== 204 && response.status !== 404) {
    return show(error, await describe(response, 'That device could not be signed out.'))
  }
  await loadDevices()
  show(status, `${name} was signed out.`)
}

async function signOut() {
  await act(async () => {
    await api('POST', '/auth/logout')
    leave('signed-out')
  })
}

/**
 * A sensitive call: when the API answers that the last authentication is too old (RFC 9470),
 * asks for the password, re-authenticates, and makes the call again.
 */
async function withStepUp(call) {
  const response = await call()
  if (!needsStepUp(response)) return response
  const confirmed = await askPassword()
  if (!confirmed) return undefined
  return call()
}

function askPassword() {
  const dialog = document.getElementById('step-up')
  if (dialog === null) return Promise.resolve(false)
  const form = document.getElementById('step-up-form')
  const input = document.getElementById('step-up-password')
  const problem = document.getElementById('step-up-error')
  show(problem, '')
  input.value = ''
  dialog.showModal()
  input.focus()
  return new Promise((resolve) => {
    const finish = (result) => {
      form.removeEventListener('submit', submit)
      cancel.removeEventListener('click', dismiss)
      dialog.removeEventListener('cancel', dismiss)
      dialog.close()
      resolve(result)
    }
    const dismiss = () => finish(false)
    const submit = async (event) => {
      event.preventDefault()
      const response = await api('POST', '/auth/reauthenticate', { password: input.value })
      if (response.ok) {
        adopt(await response.json())
        return finish(true)
      }
      show(
        problem,
        response.status === 403
          ? 'That password is not right.'
          : await describe(response, 'Try again.'),
      )
      input.focus()
    }
    const cancel = document.getElementById('step-up-cancel')
    form.addEventListener('submit', submit)
    cancel.addEventListener('click', dismiss)
    dialog.addEventListener('cancel', dismiss)
  })
}

document.getElementById('reload').addEventListener('click', () => act(loadDevices))
document.getElementById('sign-out').addEventListener('click', signOut)
document.getElementById('end-others').addEventListener('click', () =>
  act(async () => {
    const response = await api('POST', '/account/sessions/end-others')
    if (!response.ok)
      return show(error, await describe(response, 'The other devices could not be signed out.'))
    const { ended } = await response.json()
    await loadDevices()
    show(
      status,
      ended === 1 ? 'One other device was signed out.' : `${ended} other devices were signed out.`,
    )
  }),
)

document.getElementById('change-password')?.addEventListener('submit', (event) => {
  event.preventDefault()
  const form = event.currentTarget
  act(async () => {
    const newPassword = form.elements.new_password.value
    const response = await withStepUp(() =>
      api('POST', '/auth/password', { new_password: newPassword }),
    )
    if (response === undefined) return
    if (!response.ok)
      return show(error, await describe(response, 'The password could not be changed.'))
    adopt(await response.json())
    form.reset()
    await loadDevices()
    show(status, 'Your password was changed. Every other device was signed out.')
  })
})

document.getElementById('delete-account')?.addEventListener('submit', (event) => {
  event.preventDefault()
  const form = event.currentTarget
  act(async () => {
    const response = await api('DELETE', '/auth/account', {
      password: form.elements.password.value,
    })
    if (response.status === 204) return leave('deleted')
    if (response.status === 403) return show(error, 'That password is not right.')
    show(error, await describe(response, 'The account could not be deleted.'))
  })
})

// The page opens with a fresh access token from the refresh cookie, then the devices.
act(async () => {
  if (!(await refresh())) return leave('expired')
  await loadDevices()
})
