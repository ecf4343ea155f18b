/**
 * `api.advertiseUrl`: the address of this daemon's control API as the other daemons of an active/standby pair
 * reach it (docs/scale-out.md, "Writes on a standby"). A standby forwards changes there, so it must be an origin a
 * machine can connect to: `http://` or `https://`, a host, an optional port, and nothing else (no user, no path, no
 * query: the forwarded request keeps its own path). A wildcard host (`0.0.0.0`, `::`) is refused: it names no
 * machine.
 */
import { isIP } from 'node:net'
import { ValueProblem } from './value-problem.js'

const WHAT = 'an http:// or https:// URL such as http://10.0.0.5:8080, or null'

/** True for the addresses that mean "every address of this machine" when listening: 0.0.0.0 and :: (any spelling). */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '')
  if (isIP(h) === 4) return h === '0.0.0.0'
  if (isIP(h) === 6) return /^[0:]+$/.test(h)
  return false
}

/**
 * Validates `api.advertiseUrl` (null, or empty in the environment: not set). Returns its origin, e.g.
 * `http://10.0.0.5:8080` for `http://10.0.0.5:8080/` (a default port is dropped, a host name lower-cased).
 */
export function checkAdvertiseUrl(v: unknown, fromEnv: boolean): string | null {
  if (v === null || (fromEnv && v === '')) return null
  if (typeof v !== 'string' || v === '') throw new ValueProblem(`expected ${WHAT}, got ${JSON.stringify(v)}`)
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new ValueProblem(`expected ${WHAT}, got ${JSON.stringify(v)}, which is not a URL`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValueProblem(`expected ${WHAT}, got the scheme ${JSON.stringify(u.protocol.replace(/:$/, ''))}`)
  if (!u.hostname) throw new ValueProblem(`names no host: ${JSON.stringify(v)}`)
  if (u.username || u.password)
    throw new ValueProblem('must not hold a user or password (the forwarded change carries its own credentials)')
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash)
    throw new ValueProblem(
      `must be an origin without a path, query or fragment (forwarded changes keep their own /api/v1/… path), got ${JSON.stringify(v)}`,
    )
  if (isWildcardHost(u.hostname))
    throw new ValueProblem(
      `${u.hostname} is a listening wildcard, not an address another daemon can connect to; give this host's own address or name`,
    )
  return u.origin
}
