/**
 * The browser's client of the koplus HTTP API (/api/v1): JSON in and out, the session cookie sent by the
 * browser, the CSRF token in the X-CSRF-Token header on every change, and errors as `ApiFailure` with the API's
 * code, field and message so a form can point at the field at fault.
 */
export type Role = 'operator' | 'tenant-admin' | 'agent'

export interface Account {
  id: string
  username: string
  role: Role
  tenantId: string | null
  agentId: string | null
}

/** An error answer of the API. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

const V1 = '/api/v1'
let csrf: string | null = null

/** Remember the CSRF token (from login or /auth/me). */
export function setCsrf(token: string | null): void {
  csrf = token
}

async function failure(res: Response): Promise<ApiFailure> {
  let body: { error?: { code?: string; message?: string; field?: string } } = {}
  try {
    body = (await res.json()) as typeof body
  } catch {
    // not JSON
  }
  return new ApiFailure(
    res.status,
    body.error?.code ?? `HTTP_${res.status}`,
    body.error?.message ?? res.statusText,
    body.error?.field,
  )
}

/** Call the API; `path` is relative to /api/v1. Resolves with the parsed JSON (undefined for 204). */
export async function call<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  init: { raw?: Blob; contentType?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf
  let payload: BodyInit | undefined
  if (init.raw) {
    payload = init.raw
    headers['content-type'] = init.contentType || 'application/octet-stream'
  } else if (body !== undefined) {
    payload = JSON.stringify(body)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(V1 + path, { method, headers, body: payload, credentials: 'same-origin' })
  if (res.status === 401 && path !== '/auth/login' && path !== '/auth/me') {
    location.assign(`/?next=${encodeURIComponent(location.pathname + location.hash)}`)
    throw await failure(res)
  }
  if (!res.ok) throw await failure(res)
  if (res.status === 204) return undefined as T
  const ct = res.headers.get('content-type') ?? ''
  return (ct.includes('json') ? await res.json() : await res.text()) as T
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path)
export const post = <T>(path: string, body?: unknown): Promise<T> => call<T>('POST', path, body ?? {})
export const patch = <T>(path: string, body: unknown): Promise<T> => call<T>('PATCH', path, body)
export const put = <T>(path: string, body: unknown): Promise<T> => call<T>('PUT', path, body)
export const del = (path: string): Promise<void> => call<void>('DELETE', path)
/** A list route's items. */
export const list = async <T>(path: string): Promise<T[]> => (await get<{ items: T[] }>(path)).items

/** Log in; remembers the CSRF token. */
export async function login(username: string, password: string): Promise<Account> {
  const r = await call<{ account: Account; csrfToken: string }>('POST', '/auth/login', { username, password })
  setCsrf(r.csrfToken)
  return r.account
}

/** The logged-in account (and its CSRF token), or undefined when nobody is logged in. */
export async function me(): Promise<Account | undefined> {
  try {
    const r = await call<{ account: Account; csrfToken: string | null }>('GET', '/auth/me')
    setCsrf(r.csrfToken)
    return r.account
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return undefined
    throw e
  }
}

/** End the session and go to the login page. */
export async function logout(): Promise<void> {
  try {
    await call('POST', '/auth/logout', {})
  } finally {
    location.assign('/')
  }
}

/** The page a role lands on after login. */
export function homeOf(role: Role): string {
  return role === 'agent' ? '/agent' : '/admin'
}

/**
 * Make sure someone with one of `roles` is logged in; otherwise go to the login page (remembering where to come
 * back) or to the account's own page. Resolves with the account.
 */
export async function requireAccount(roles: Role[]): Promise<Account> {
  const acc = await me()
  if (!acc) {
    location.assign(`/?next=${encodeURIComponent(location.pathname + location.hash)}`)
    return new Promise<Account>(() => {})
  }
  if (!roles.includes(acc.role)) {
    location.assign(homeOf(acc.role))
    return new Promise<Account>(() => {})
  }
  // the page stays hidden (html.auth-pending in its HTML) until we know who is there: no empty shell before a redirect
  document.documentElement.classList.remove('auth-pending')
  return acc
}
