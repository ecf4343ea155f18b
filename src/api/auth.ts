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
 * Fixed-window login rate limiter per key (username + IP): at most `max` attempts per `windowMs`. Failed and
 * successful attempts both count, so guessing is bounded whatever the outcome.
 */
export class LoginRateLimiter {
  #hits = new Map<string, { start: number; count: number }>()
  constructor(
    readonly max = 5,
    readonly windowMs = 60_000,
  ) {}
  /** Record an attempt; returns 0 when allowed, else the milliseconds until the next attempt is allowed. */
  attempt(key: string, now: number): number {
    const h = this.#hits.get(key)
    if (!h || now - h.start >= this.windowMs) {
      this.#hits.set(key, { start: now, count: 1 })
      if (this.#hits.size > 10_000) this.#sweep(now)
      return 0
    }
    if (h.count >= this.max) return h.start + this.windowMs - now
    h.count++
    return 0
  }
  #sweep(now: number): void {
    for (const [k, h] of this.#hits) if (now - h.start >= this.windowMs) this.#hits.delete(k)
  }
}

export const SESSION_COOKIE = 'koplus_session'

/** Parse a Cookie header into a map. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!header) return out
  for (const part of header.split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    const k = part.slice(0, i).trim()
    const v = part.slice(i + 1).trim()
    if (k && !out.has(k)) out.set(k, decodeURIComponent(v))
  }
  return out
}

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
