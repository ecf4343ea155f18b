/**
 * `freeswitch.nodes`: several FreeSWITCH nodes under one koplus (docs/scale-out.md). A JSON array in the file, or
 * the same JSON text in KOPLUS_FREESWITCH_NODES. Problems are thrown as strings naming the element and field (the
 * caller wraps them in a ConfigError for `freeswitch.nodes`); a password is never quoted.
 */
import { ValueProblem } from './value-problem.js'
import { HOST_RE, type NodeConfig } from './spec.js'

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/
const SIP_ADDRESS_RE = /^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/
const FIELDS = ['id', 'host', 'port', 'password', 'sipAddress']
export const MAX_NODES = 64

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v))

/** Validates `freeswitch.nodes` (null = not set). Throws a ValueProblem. */
export function checkNodes(v: unknown, fromEnv: boolean): NodeConfig[] | null {
  if (v === null || (fromEnv && v === '')) return null
  let list: unknown = v
  if (fromEnv && typeof v === 'string') {
    try {
      list = JSON.parse(v) as unknown
    } catch {
      throw new ValueProblem('expected a JSON array of nodes, got text that is not JSON')
    }
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new ValueProblem(
      `expected a non-empty array of { id, host, port, password, sipAddress } or null, got ${Array.isArray(list) ? 'an empty array' : show(typeof list === 'object' ? '(an object)' : list)}`,
    )
  if (list.length > MAX_NODES) throw new ValueProblem(`at most ${MAX_NODES} nodes, got ${list.length}`)
  const seen = new Set<string>()
  return list.map((n: unknown, i): NodeConfig => {
    const at = `[${i}]`
    if (typeof n !== 'object' || n === null || Array.isArray(n))
      throw new ValueProblem(`${at}: expected an object { id, host, port, password, sipAddress }, got ${show(n)}`)
    const o = n as Record<string, unknown>
    for (const k of Object.keys(o))
      if (!FIELDS.includes(k))
        throw new ValueProblem(`${at}: unknown field ${JSON.stringify(k)} (known: ${FIELDS.join(', ')})`)
    if (typeof o.id !== 'string' || !ID_RE.test(o.id))
      throw new ValueProblem(`${at}.id: expected 1-32 letters, digits, '_', '.', '-', got ${show(o.id)}`)
    if (seen.has(o.id.toLowerCase())) throw new ValueProblem(`${at}.id: ${JSON.stringify(o.id)} is given twice`)
    seen.add(o.id.toLowerCase())
    if (typeof o.host !== 'string' || !HOST_RE.test(o.host))
      throw new ValueProblem(`${at}.host (node ${o.id}): expected a host name or IP address, got ${show(o.host)}`)
    const port = o.port ?? 8021
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new ValueProblem(`${at}.port (node ${o.id}): expected an integer 1-65535, got ${show(o.port)}`)
    if (o.password !== undefined && (typeof o.password !== 'string' || o.password === ''))
      throw new ValueProblem(`${at}.password (node ${o.id}): expected a non-empty string`)
    if (o.sipAddress !== undefined && (typeof o.sipAddress !== 'string' || !SIP_ADDRESS_RE.test(o.sipAddress)))
      throw new ValueProblem(`${at}.sipAddress (node ${o.id}): expected host or host:port, got ${show(o.sipAddress)}`)
    return {
      id: o.id,
      host: o.host,
      port,
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.sipAddress !== undefined ? { sipAddress: o.sipAddress } : {}),
    }
  })
}
