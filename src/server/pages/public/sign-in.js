import { adopt, post, show } from './api.js'

const form = document.getElementById('credentials')
const error = document.getElementById('error')
const registering = form.dataset.form === 'register'

/** What a failed sign-in means to a person: wrong password, locked, suspended… */
async function explain(response) {
  let body = {}
  try {
    body = await response.json()
  } catch {
    // not JSON: the status decides
  }
  const description = typeof body.error_description === 'string' ? body.error_description : ''
  if (response.status === 401) return 'Wrong username or password.'
  if (response.status === 429) {
    const seconds = Number(response.headers.get('retry-after'))
    const wait = Number.isFinite(seconds) && seconds > 0 ? ` Try again in ${seconds} seconds.` : ''
    return `Too many failed attempts: signing in is locked for now.${wait}`
  }
  if (response.status === 403 && description.includes('suspended')) {
    return 'This account is suspended. Contact an administrator.'
  }
  if (response.status === 409) return 'That username is taken. Choose another one.'
  if (response.status === 400 && body.error === 'invalid_password') return description
  if (response.status === 400) {
    return 'Check the username (letters, digits and . _ @ + -) and the password.'
  }
  if (response.status >= 500) return 'The service is unavailable. Try again in a moment.'
  return description === '' ? 'Something went wrong. Try again.' : description
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  show(error, '')
  const button = form.querySelector('button[type="submit"]')
  button.disabled = true
  try {
    const credentials = {
      username: form.elements.username.value.trim(),
      password: form.elements.password.value,
    }
    if (registering) {
      const created = await post('/auth/register', credentials)
      if (created.status !== 201) {
        show(error, await explain(created))
        return
      }
    }
    const response = await post('/auth/login', credentials)
    if (!response.ok) {
      show(error, await explain(response))
      form.elements.password.focus()
      return
    }
    adopt(await response.json())
    window.location.assign('/account')
  } catch {
    show(error, 'The service could not be reached. Try again.')
  } finally {
    button.disabled = false
  }
})
