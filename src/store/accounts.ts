/**
 * Web/API accounts, API tokens and web sessions. Secrets are never stored: tokens and session ids as
 * SHA-256, passwords as scrypt hashes (hashPassword / verifyPassword).
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'
import type { StoreContext } from './context.js'
import { StoreError, invalid, notFound } from './errors.js'
import { chooseId, newId, requireInt, requireString } from './util.js'

export type Role = 'operator' | 'tenant-admin' | 'agent'
const ROLES: readonly Role[] = ['operator', 'tenant-admin', 'agent']

export interface Account {
  id: string
  username: string
  role: Role
  /** tenant-admin and agent: their tenant; operator: null. */
  tenantId: string | null
  /** agent: the agent they are; otherwise null. */
  agentId: string | null
  createdAt: number
  updatedAt: number
}

interface AccountRow {
  id: string
  username: string
  role: Role
  tenant_id: string | null
  agent_id: string | null
  password_hash: string
  created_at: number
  updated_at: number
}

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  username: r.username,
  role: r.role,
  tenantId: r.tenant_id,
  agentId: r.agent_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})
const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$/
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 }

/** scrypt hash in the form 'scrypt$N$r$p$salt$hash' (base64url). */
export function hashPassword(password: string): string {
  if (typeof password !== 'string' || password.length < 8)
    throw invalid('account.password', 'must be at least 8 characters')
  const salt = randomBytes(16)
  const hash = scryptSync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p })
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

/** Constant-time check of a password against a hashPassword() result. */
export function verifyPassword(password: string, stored: string): boolean {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number)
  const salt = Buffer.from(parts[4], 'base64url')
  const expected = Buffer.from(parts[5], 'base64url')
  const got = scryptSync(password, salt, expected.length, { N, r, p })
  return got.length === expected.length && timingSafeEqual(got, expected)
}

/**
 * verifyPassword off the event loop: scrypt runs on libuv's thread pool, so a login (~50 ms of hashing) does not
 * stall call handling. Same result as verifyPassword.
 */
export function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return Promise.resolve(false)
  const [N, r, p] = parts.slice(1, 4).map(Number)
  const salt = Buffer.from(parts[4], 'base64url')
  const expected = Buffer.from(parts[5], 'base64url')
  return new Promise((resolve, reject) => {
    scrypt(password, salt, expected.length, { N, r, p }, (err, got) => {
      if (err) reject(err)
      else resolve(got.length === expected.length && timingSafeEqual(got, expected))
    })
  })
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

export class Accounts {
  constructor(private readonly ctx: StoreContext) {}

  /** Create an account; the password is hashed here. */
  create(input: {
    id?: string
    username: string
    password: string
    role: Role
    tenantId?: string | null
    agentId?: string | null
  }): Account {
    const id = chooseId('u', input.id, 'account')
    const username = requireString('account.username', input.username, {
      re: USERNAME_RE,
      what: '2-64 letters, digits, _ . @ -',
    })
    if (!ROLES.includes(input.role))
      throw invalid('account.role', `expected one of ${ROLES.join(', ')}, got ${JSON.stringify(input.role)}`)
    let tenantId = input.tenantId ?? null
    const agentId = input.agentId ?? null
    if (input.role === 'operator' && (tenantId !== null || agentId !== null))
      throw invalid('account.tenantId', 'an operator account belongs to no tenant or agent')
    if (input.role === 'tenant-admin') {
      if (tenantId === null) throw invalid('account.tenantId', 'a tenant-admin account needs a tenant')
      if (agentId !== null) throw invalid('account.agentId', 'a tenant-admin account is not an agent')
    }
    if (input.role === 'agent') {
      if (agentId === null) throw invalid('account.agentId', 'an agent account needs an agent')
      const a = this.ctx.sql('SELECT tenant_id FROM agents WHERE id = ?').get(agentId) as
        { tenant_id: string } | undefined
      if (!a) throw notFound('agent', agentId)
      if (tenantId !== null && tenantId !== a.tenant_id)
        throw invalid('account.tenantId', `agent '${agentId}' is in tenant ${a.tenant_id}`)
      tenantId = a.tenant_id
    }
    if (tenantId !== null && !this.ctx.sql('SELECT 1 FROM tenants WHERE id = ?').get(tenantId))
      throw notFound('tenant', tenantId)
    if (this.getByUsername(username))
      throw new StoreError('DUPLICATE', `account username '${username}' already exists`, 'account.username')
    if (this.find(id)) throw new StoreError('DUPLICATE', `account '${id}' already exists`, 'account.id')
    const hash = hashPassword(input.password)
    const now = this.ctx.clock.now()
    this.ctx
      .sql(
        'INSERT INTO accounts (id, username, role, tenant_id, agent_id, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, username, input.role, tenantId, agentId, hash, now, now)
    return this.get(id)
  }

  find(id: string): Account | undefined {
    const r = this.ctx.sql('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined
    return r && toAccount(r)
  }

  get(id: string): Account {
    const a = this.find(id)
    if (!a) throw notFound('account', id)
    return a
  }

  getByUsername(username: string): Account | undefined {
    const r = this.ctx.sql('SELECT * FROM accounts WHERE username = ?').get(username) as AccountRow | undefined
    return r && toAccount(r)
  }

  list(tenantId?: string): Account[] {
    const rows = this.ctx
      .sql('SELECT * FROM accounts WHERE (? IS NULL OR tenant_id = ?) ORDER BY username')
      .all(tenantId ?? null, tenantId ?? null) as AccountRow[]
    return rows.map(toAccount)
  }

  /** The account if username and password match, else undefined (rate limiting is the API's job). */
  authenticate(username: string, password: string): Account | undefined {
    const r = this.ctx.sql('SELECT * FROM accounts WHERE username = ?').get(username) as AccountRow | undefined
    if (!r) {
      verifyPassword(password, DUMMY_HASH) // same work whether or not the user exists
      return undefined
    }
    return verifyPassword(password, r.password_hash) ? toAccount(r) : undefined
  }

  /** authenticate() with the hashing off the event loop (the API's login). */
  async authenticateAsync(username: string, password: string): Promise<Account | undefined> {
    const r = this.ctx.sql('SELECT * FROM accounts WHERE username = ?').get(username) as AccountRow | undefined
    if (!r) {
      await verifyPasswordAsync(password, DUMMY_HASH) // same work whether or not the user exists
      return undefined
    }
    if (!(await verifyPasswordAsync(password, r.password_hash))) return undefined
    // the account may have been removed, or its password changed, while the hash ran
    const now = this.ctx.sql('SELECT * FROM accounts WHERE id = ?').get(r.id) as AccountRow | undefined
    return now && now.password_hash === r.password_hash ? toAccount(now) : undefined
  }

  setPassword(id: string, password: string): void {
    this.get(id)
    this.ctx
      .sql('UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?')
      .run(hashPassword(password), this.ctx.clock.now(), id)
  }

  /** Remove an account with its tokens and sessions. */
  remove(id: string): void {
    this.get(id)
    this.ctx.sql('DELETE FROM accounts WHERE id = ?').run(id)
  }

  // ---- API tokens ----

  /** Create an API token; the token itself is returned once and only its SHA-256 is stored. */
  createToken(accountId: string, name: string, expiresAt: number | null = null): { id: string; token: string } {
    this.get(accountId)
    requireString('token.name', name, { max: 100 })
    if (expiresAt !== null) requireInt('token.expiresAt', expiresAt, 0, 8.64e15)
    const id = newId('tok')
    const token = `kp_${randomBytes(24).toString('base64url')}`
    this.ctx
      .sql(
        'INSERT INTO api_tokens (id, account_id, token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, accountId, sha256(token), name, this.ctx.clock.now(), expiresAt)
    return { id, token }
  }

  /** The account a token belongs to (and marks it used), or undefined if unknown or expired. */
  verifyToken(token: string, now: number = this.ctx.clock.now()): Account | undefined {
    if (typeof token !== 'string' || token.length < 8) return undefined
    const r = this.ctx
      .sql('SELECT id, account_id, expires_at FROM api_tokens WHERE token_hash = ?')
      .get(sha256(token)) as { id: string; account_id: string; expires_at: number | null } | undefined
    if (!r || (r.expires_at !== null && r.expires_at <= now)) return undefined
    this.ctx.sql('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, r.id)
    return this.find(r.account_id)
  }

  /** The account a token belongs to, or undefined if unknown or expired; unlike verifyToken it does not mark it used. */
  tokenAccount(token: string, now: number = this.ctx.clock.now()): Account | undefined {
    if (typeof token !== 'string' || token.length < 8) return undefined
    const r = this.ctx.sql('SELECT account_id, expires_at FROM api_tokens WHERE token_hash = ?').get(sha256(token)) as
      { account_id: string; expires_at: number | null } | undefined
    if (!r || (r.expires_at !== null && r.expires_at <= now)) return undefined
    return this.find(r.account_id)
  }

  listTokens(
    accountId: string,
  ): { id: string; name: string; createdAt: number; expiresAt: number | null; lastUsedAt: number | null }[] {
    const rows = this.ctx
      .sql(
        'SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens WHERE account_id = ? ORDER BY created_at',
      )
      .all(accountId) as {
      id: string
      name: string
      created_at: number
      expires_at: number | null
      last_used_at: number | null
    }[]
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at,
    }))
  }

  revokeToken(id: string): void {
    if (this.ctx.sql('DELETE FROM api_tokens WHERE id = ?').run(id).changes === 0) throw notFound('token', id)
  }

  // ---- web sessions ----

  /** Start a web session; the session id (cookie value) is returned once, stored as SHA-256. */
  createSession(
    accountId: string,
    ttlMs: number,
    now: number = this.ctx.clock.now(),
  ): { sessionId: string; csrfToken: string; expiresAt: number } {
    this.get(accountId)
    requireInt('session.ttlMs', ttlMs, 1000, 90 * 86400_000)
    const sessionId = randomBytes(32).toString('base64url')
    const csrfToken = randomBytes(24).toString('base64url')
    const expiresAt = now + ttlMs
    this.ctx
      .sql('INSERT INTO web_sessions (id_hash, account_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(sha256(sessionId), accountId, csrfToken, now, expiresAt)
    return { sessionId, csrfToken, expiresAt }
  }

  /** The session's account and CSRF token, or undefined if unknown or expired. */
  getSession(
    sessionId: string,
    now: number = this.ctx.clock.now(),
  ): { account: Account; csrfToken: string; expiresAt: number } | undefined {
    if (typeof sessionId !== 'string' || sessionId.length < 8) return undefined
    const r = this.ctx
      .sql('SELECT account_id, csrf_token, expires_at FROM web_sessions WHERE id_hash = ?')
      .get(sha256(sessionId)) as { account_id: string; csrf_token: string; expires_at: number } | undefined
    if (!r || r.expires_at <= now) return undefined
    const account = this.find(r.account_id)
    return account && { account, csrfToken: r.csrf_token, expiresAt: r.expires_at }
  }

  endSession(sessionId: string): void {
    this.ctx.sql('DELETE FROM web_sessions WHERE id_hash = ?').run(sha256(sessionId))
  }

  /** Delete expired sessions; returns how many. */
  purgeSessions(now: number = this.ctx.clock.now()): number {
    return this.ctx.sql('DELETE FROM web_sessions WHERE expires_at <= ?').run(now).changes
  }
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
