/**
 * Web/API accounts, API tokens and web sessions. Secrets are never stored: tokens and session ids as
 * SHA-256, passwords as scrypt hashes (hashPassword / verifyPassword). Asynchronous, on SQLite and PostgreSQL alike
 * (RepoContext).
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'
import type { RepoContext } from './repo-context.js'
import { textOrder, where } from './sql/clauses.js'
import { isForeignKeyViolation, uniqueViolation } from './sql/constraint.js'
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
  constructor(private readonly ctx: RepoContext) {}

  /** Create an account; the password is hashed here. The checks and the insert are one transaction. */
  async create(input: {
    id?: string
    username: string
    password: string
    role: Role
    tenantId?: string | null
    agentId?: string | null
  }): Promise<Account> {
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
    return this.ctx.tx(async (ctx) => {
      if (input.role === 'agent') {
        if (agentId === null) throw invalid('account.agentId', 'an agent account needs an agent')
        const a = await ctx.db.get<{ tenant_id: string }>('SELECT tenant_id FROM agents WHERE id = ?', [agentId])
        if (!a) throw notFound('agent', agentId)
        if (tenantId !== null && tenantId !== a.tenant_id)
          throw invalid('account.tenantId', `agent '${agentId}' is in tenant ${a.tenant_id}`)
        tenantId = a.tenant_id
      }
      if (tenantId !== null && !(await ctx.db.get('SELECT 1 AS x FROM tenants WHERE id = ?', [tenantId])))
        throw notFound('tenant', tenantId)
      if (await ctx.db.get('SELECT 1 AS x FROM accounts WHERE username = ?', [username]))
        throw new StoreError('DUPLICATE', `account username '${username}' already exists`, 'account.username')
      if (await ctx.db.get('SELECT 1 AS x FROM accounts WHERE id = ?', [id]))
        throw new StoreError('DUPLICATE', `account '${id}' already exists`, 'account.id')
      const hash = hashPassword(input.password)
      const now = this.ctx.clock.now()
      try {
        const r = await ctx.db.get<AccountRow>(
          'INSERT INTO accounts (id, username, role, tenant_id, agent_id, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
          [id, username, input.role, tenantId, agentId, hash, now, now],
        )
        return toAccount(r!)
      } catch (err) {
        throw createConflict(err, { id, username, tenantId, agentId })
      }
    })
  }

  async find(id: string): Promise<Account | undefined> {
    const r = await this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', [id])
    return r && toAccount(r)
  }

  async get(id: string): Promise<Account> {
    const a = await this.find(id)
    if (!a) throw notFound('account', id)
    return a
  }

  async getByUsername(username: string): Promise<Account | undefined> {
    const r = await this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE username = ?', [username])
    return r && toAccount(r)
  }

  async list(tenantId?: string): Promise<Account[]> {
    const w = where([['tenant_id = ?', tenantId ?? undefined]])
    const rows = await this.ctx.db.all<AccountRow>(
      `SELECT * FROM accounts ${w.sql} ORDER BY ${textOrder(this.ctx.dialect, 'username')}`,
      w.params,
    )
    return rows.map(toAccount)
  }

  /**
   * The account if username and password match, else undefined (rate limiting is the API's job). The hashing
   * blocks the event loop (~50 ms): the API's login uses authenticateAsync.
   */
  async authenticate(username: string, password: string): Promise<Account | undefined> {
    const r = await this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE username = ?', [username])
    if (!r) {
      verifyPassword(password, DUMMY_HASH) // same work whether or not the user exists
      return undefined
    }
    return verifyPassword(password, r.password_hash) ? toAccount(r) : undefined
  }

  /** authenticate() with the hashing off the event loop (the API's login). */
  async authenticateAsync(username: string, password: string): Promise<Account | undefined> {
    const r = await this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE username = ?', [username])
    if (!r) {
      await verifyPasswordAsync(password, DUMMY_HASH) // same work whether or not the user exists
      return undefined
    }
    if (!(await verifyPasswordAsync(password, r.password_hash))) return undefined
    // the account may have been removed, or its password changed, while the hash ran
    const now = await this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', [r.id])
    return now && now.password_hash === r.password_hash ? toAccount(now) : undefined
  }

  async setPassword(id: string, password: string): Promise<void> {
    await this.get(id)
    const hash = hashPassword(password)
    const r = await this.ctx.db.run('UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?', [
      hash,
      this.ctx.clock.now(),
      id,
    ])
    if (r.changes === 0) throw notFound('account', id)
  }

  /** Remove an account with its tokens and sessions. */
  async remove(id: string): Promise<void> {
    const r = await this.ctx.db.run('DELETE FROM accounts WHERE id = ?', [id])
    if (r.changes === 0) throw notFound('account', id)
  }

  // ---- API tokens ----

  /** Create an API token; the token itself is returned once and only its SHA-256 is stored. */
  async createToken(
    accountId: string,
    name: string,
    expiresAt: number | null = null,
  ): Promise<{ id: string; token: string }> {
    await this.get(accountId)
    requireString('token.name', name, { max: 100 })
    if (expiresAt !== null) requireInt('token.expiresAt', expiresAt, 0, 8.64e15)
    const id = newId('tok')
    const token = `kp_${randomBytes(24).toString('base64url')}`
    await this.ctx.db.run(
      'INSERT INTO api_tokens (id, account_id, token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [id, accountId, sha256(token), name, this.ctx.clock.now(), expiresAt],
    )
    return { id, token }
  }

  /** The account a token belongs to (and marks it used), or undefined if unknown or expired. */
  async verifyToken(token: string, now: number = this.ctx.clock.now()): Promise<Account | undefined> {
    if (typeof token !== 'string' || token.length < 8) return undefined
    const r = await this.ctx.db.get<{ id: string; account_id: string; expires_at: number | null }>(
      'SELECT id, account_id, expires_at FROM api_tokens WHERE token_hash = ?',
      [sha256(token)],
    )
    if (!r || (r.expires_at !== null && r.expires_at <= now)) return undefined
    await this.ctx.db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, r.id])
    return this.find(r.account_id)
  }

  /** The account a token belongs to, or undefined if unknown or expired; unlike verifyToken it does not mark it used. */
  async tokenAccount(token: string, now: number = this.ctx.clock.now()): Promise<Account | undefined> {
    if (typeof token !== 'string' || token.length < 8) return undefined
    const r = await this.ctx.db.get<{ account_id: string; expires_at: number | null }>(
      'SELECT account_id, expires_at FROM api_tokens WHERE token_hash = ?',
      [sha256(token)],
    )
    if (!r || (r.expires_at !== null && r.expires_at <= now)) return undefined
    return this.find(r.account_id)
  }

  async listTokens(
    accountId: string,
  ): Promise<{ id: string; name: string; createdAt: number; expiresAt: number | null; lastUsedAt: number | null }[]> {
    const rows = await this.ctx.db.all<{
      id: string
      name: string
      created_at: number
      expires_at: number | null
      last_used_at: number | null
    }>(
      'SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens WHERE account_id = ? ORDER BY created_at',
      [accountId],
    )
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at,
    }))
  }

  async revokeToken(id: string): Promise<void> {
    if ((await this.ctx.db.run('DELETE FROM api_tokens WHERE id = ?', [id])).changes === 0) throw notFound('token', id)
  }

  // ---- web sessions ----

  /** Start a web session; the session id (cookie value) is returned once, stored as SHA-256. */
  async createSession(
    accountId: string,
    ttlMs: number,
    now: number = this.ctx.clock.now(),
  ): Promise<{ sessionId: string; csrfToken: string; expiresAt: number }> {
    await this.get(accountId)
    requireInt('session.ttlMs', ttlMs, 1000, 90 * 86400_000)
    const sessionId = randomBytes(32).toString('base64url')
    const csrfToken = randomBytes(24).toString('base64url')
    const expiresAt = now + ttlMs
    await this.ctx.db.run(
      'INSERT INTO web_sessions (id_hash, account_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      [sha256(sessionId), accountId, csrfToken, now, expiresAt],
    )
    return { sessionId, csrfToken, expiresAt }
  }

  /** The session's account and CSRF token, or undefined if unknown or expired. */
  async getSession(
    sessionId: string,
    now: number = this.ctx.clock.now(),
  ): Promise<{ account: Account; csrfToken: string; expiresAt: number } | undefined> {
    if (typeof sessionId !== 'string' || sessionId.length < 8) return undefined
    const r = await this.ctx.db.get<{ account_id: string; csrf_token: string; expires_at: number }>(
      'SELECT account_id, csrf_token, expires_at FROM web_sessions WHERE id_hash = ?',
      [sha256(sessionId)],
    )
    if (!r || r.expires_at <= now) return undefined
    const account = await this.find(r.account_id)
    return account && { account, csrfToken: r.csrf_token, expiresAt: r.expires_at }
  }

  async endSession(sessionId: string): Promise<void> {
    await this.ctx.db.run('DELETE FROM web_sessions WHERE id_hash = ?', [sha256(sessionId)])
  }

  /** Delete expired sessions; returns how many. */
  async purgeSessions(now: number = this.ctx.clock.now()): Promise<number> {
    return (await this.ctx.db.run('DELETE FROM web_sessions WHERE expires_at <= ?', [now])).changes
  }
}

/**
 * What a concurrent writer slipped in between create()'s checks and its insert (PostgreSQL, READ COMMITTED), as the
 * StoreError the checks give: the same username or id (unique), the agent or tenant removed (foreign key).
 */
function createConflict(
  err: unknown,
  a: { id: string; username: string; tenantId: string | null; agentId: string | null },
): unknown {
  const unique = uniqueViolation(err)
  if (unique !== undefined) {
    return /username/.test(unique)
      ? new StoreError('DUPLICATE', `account username '${a.username}' already exists`, 'account.username')
      : new StoreError('DUPLICATE', `account '${a.id}' already exists`, 'account.id')
  }
  if (isForeignKeyViolation(err))
    return a.agentId !== null ? notFound('agent', a.agentId) : notFound('tenant', a.tenantId!)
  return err
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
