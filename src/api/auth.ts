/**
 * Web credentials around the Store's accounts (which hash passwords with scrypt and keep tokens and session ids
 * only as SHA-256): a per-username+IP login rate limiter, cookie helpers, constant-time comparison.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Account } from '../store/index.js'

/** A new random secret (API token, session id, CSRF token), URL-safe. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url')
}

/** SHA-256 hex of a secret: what is stored for tokens and sessions. */
export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Who is calling. `via` tells how they proved it: cookie-authenticated calls need a CSRF header to change state. */
export interface Principal {
  account: Account
  via: 'token' | 'session'
  /** The session's CSRF token (via 'session' only). */
  csrfToken?: string
}

/**
 * Login throttling (SPEC issue 9, abuse): three layers, all checked before any password is hashed.
 * - per client address: at most `perClientMax` attempts per `windowMs` whatever the username (a flood of
 *   different usernames from one address is refused cheaply, with 429);
 * - per username and client address: `freeFailures` wrong passwords, then an exponential back-off (1 s, 2 s, 4 s …
 *   up to `maxBackoffMs`) before the next try from that address. The account itself is never locked: the same
 *   username from another address has its own budget, and a successful login clears the back-off;
 * - a global cap on concurrent password hashing (HashGate), so logins cannot take more than a bounded share of the
 *   CPU whatever the number of addresses.
 * IPv6 clients are counted per /64 (one host usually owns a whole /64).
 */
export class LoginRateLimiter {
  #clients = new Map<string, { start: number; count: number }>()
  #failures = new Map<string, { failures: number; last: number }>()
  readonly freeFailures: number
  readonly windowMs: number
  readonly perClientMax: number
  readonly maxBackoffMs: number
  readonly maxEntries: number
  constructor(
    opts: {
      freeFailures?: number
      windowMs?: number
      perClientMax?: number
      maxBackoffMs?: number
      maxEntries?: number
    } = {},
  ) {
    this.freeFailures = opts.freeFailures ?? 5
    this.windowMs = opts.windowMs ?? 60_000
    this.perClientMax = opts.perClientMax ?? 100
    this.maxBackoffMs = opts.maxBackoffMs ?? 15 * 60_000
    this.maxEntries = opts.maxEntries ?? 50_000
  }

  /**
   * Record an attempt of `username` from `client` before its password is checked; returns 0 when allowed, else the
   * milliseconds until the next attempt is allowed (nothing is counted then).
   */
  attempt(username: string, client: string, now: number): number {
    const c = clientKey(client)
    const f = this.#failures.get(userKey(username, c))
    if (f && f.failures >= this.freeFailures) {
      const until = f.last + this.backoffMs(f.failures)
      if (now < until) return until - now
    }
    let h = this.#clients.get(c)
    if (!h || now - h.start >= this.windowMs) {
      h = { start: now, count: 0 }
      this.#clients.delete(c)
      this.#clients.set(c, h)
      this.#bound(this.#clients, now)
    }
    if (h.count >= this.perClientMax) return h.start + this.windowMs - now
    h.count++
    return 0
  }

  /** The back-off after `failures` wrong passwords (0 while within the free ones). */
  backoffMs(failures: number): number {
    if (failures < this.freeFailures) return 0
    return Math.min(this.maxBackoffMs, 1000 * 2 ** Math.min(30, failures - this.freeFailures))
  }

  /** A wrong password of `username` from `client`. */
  failed(username: string, client: string, now: number): void {
    const k = userKey(username, clientKey(client))
    const f = this.#failures.get(k)
    // forgotten after a quiet period as long as the longest back-off
    const failures = f && now - f.last < this.maxBackoffMs + this.windowMs ? f.failures + 1 : 1
    this.#failures.delete(k)
    this.#failures.set(k, { failures, last: now })
    this.#bound(this.#failures, now)
  }

  /** A successful login clears the username's back-off from that client. */
  succeeded(username: string, client: string): void {
    this.#failures.delete(userKey(username, clientKey(client)))
  }

  /** Keep a map within maxEntries: drop stale entries, then the oldest (maps iterate in insertion order). */
  #bound(map: Map<string, { last?: number; start?: number }>, now: number): void {
    if (map.size <= this.maxEntries) return
    const stale = this.maxBackoffMs + this.windowMs
    for (const [k, v] of map) if (now - (v.last ?? v.start ?? 0) >= stale) map.delete(k)
    for (const k of map.keys()) {
      if (map.size <= this.maxEntries) break
      map.delete(k)
    }
  }
}

const userKey = (username: string, client: string): string => `${username.toLowerCase()}|${client}`

/** The address a client is counted by: IPv4 as is, IPv6 by its /64 prefix. */
export function clientKey(address: string): string {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
  if (!a.includes(':')) return a
  const [head, tail] = a.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/**
 * A global cap on concurrent password hashing: at most `concurrency` hashes run at once (each ~50 ms of CPU on
 * libuv's thread pool), at most `maxQueued` wait; beyond that `run` refuses at once (the caller answers 429).
 */
export class HashGate {
  #running = 0
  #queue: (() => void)[] = []
  constructor(
    readonly concurrency = 1,
    readonly maxQueued = 16,
  ) {}
  get running(): number {
    return this.#running
  }
  get queued(): number {
    return this.#queue.length
  }
  /** Run `fn` when a slot is free; undefined (without running it) when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.#running >= this.concurrency) {
      if (this.#queue.length >= this.maxQueued) return undefined
      await new Promise<void>((resolve) => this.#queue.push(resolve))
    } else {
      this.#running++
    }
    try {
      return await fn()
    } finally {
      const next = this.#queue.shift()
      if (next)
        next() // the slot passes straight to the next waiter
      else this.#running--
    }
  }
}

/**
 * The client's address: the socket's peer, or — when `header` is set and the peer is one of `trustedProxies` —
 * the address the proxy put in that header (X-Forwarded-For: the right-most entry that is not itself a trusted
 * proxy, since entries to its left are whatever the client sent; X-Real-IP: its value).
 */
export function clientAddress(
  peer: string | undefined,
  headers: Record<string, string | string[] | undefined>,
  header: 'none' | 'x-forwarded-for' | 'x-real-ip',
  trustedProxies: readonly string[],
): string {
  const p = normalizeAddress(peer ?? '?')
  if (header === 'none' || !trustedProxies.includes(p)) return p
  const raw = headers[header]
  const value = Array.isArray(raw) ? raw.join(',') : raw
  if (!value) return p
  const entries = value
    .split(',')
    .map((s) => normalizeAddress(s.trim()))
    .filter((s) => s !== '')
  if (header === 'x-real-ip') return entries[0] ?? p
  for (let i = entries.length - 1; i >= 0; i--) if (!trustedProxies.includes(entries[i])) return entries[i]
  return entries[0] ?? p
}

function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

export const SESSION_COOKIE = 'koplus_session'

/**
 * The Set-Cookie value of a web session: HttpOnly and SameSite=Strict always; Secure when served over https
 * (a browser would not send a Secure cookie back over plain loopback http, so it is omitted there).
 */
export function sessionCookie(value: string, maxAgeSec: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${secure ? '; Secure' : ''}`
}

/** Constant-time string equality (for CSRF tokens). */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a)
  const bb = Buffer.from(b)
  return ba.length === bb.length && timingSafeEqual(ba, bb)
}
