/** The login page (/): username + password → the session cookie, then on to the page of the account's role. */
import { ApiFailure, homeOf, login, me } from './api.js'
import { byId } from './dom.js'
import { langSwitch, t, translatePage } from './i18n.js'

/** Where to go after login: ?next= when it is a page of this site, else the role's home page. */
function target(role: Parameters<typeof homeOf>[0]): string {
  const next = new URLSearchParams(location.search).get('next')
  if (next && /^\/(admin|agent|wallboard)(\b|[/#?])/.test(next)) {
    if (role === 'agent' && !next.startsWith('/agent')) return homeOf(role)
    return next
  }
  return homeOf(role)
}

/** The reason in the page's language only (the API's English message is not shown next to Swedish text). */
function loginError(e: unknown): string {
  if (!(e instanceof ApiFailure)) return t('login.unreachable')
  if (e.status === 401) return t('login.wrong')
  if (e.status === 429) return t('login.tooMany')
  if (e.status >= 500) return t('login.unreachable')
  return `${t('login.failed')} (${e.status})`
}

async function main(): Promise<void> {
  translatePage()
  langSwitch(byId('lang-switch'), () => undefined)
  const form = byId<HTMLFormElement>('login-form')
  const error = byId('login-error')
  const existing = await me().catch(() => undefined)
  if (existing) {
    location.replace(target(existing.role))
    return
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    error.hidden = true
    const user = byId<HTMLInputElement>('username')
    const pass = byId<HTMLInputElement>('password')
    const button = form.querySelector('button')!
    button.disabled = true
    login(user.value.trim(), pass.value)
      .then((acc) => location.assign(target(acc.role)))
      .catch((e: unknown) => {
        error.textContent = loginError(e)
        error.hidden = false
        pass.value = ''
        pass.focus()
      })
      .finally(() => {
        button.disabled = false
      })
  })
}

void main()
