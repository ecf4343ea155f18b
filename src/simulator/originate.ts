/**
 * Parsing of `originate` arguments as switch_ivr_originate does: `{global vars}` then legs separated
 * by `,` (ring in parallel) and `|` (try in sequence), each with optional `[leg vars]`, then the
 * application (`&park()`, `&app(arg)`) or an extension (`<exten> [<dialplan> <context>]`).
 */

export interface OriginateLeg {
  dial: string
  vars: Map<string, string>
}

export interface OriginateRequest {
  /** Groups tried in sequence; the legs of a group ring in parallel. */
  groups: OriginateLeg[][]
  globals: Map<string, string>
  app?: { name: string; arg: string }
  exten?: { dest: string; dialplan: string; context: string }
}

/** Splits `a=b,c='x,y'` into a map (values may be single-quoted; `^^:` changes the separator). */
function parseVars(s: string): Map<string, string> {
  const out = new Map<string, string>()
  let sep = ','
  if (s.startsWith('^^')) {
    sep = s[2]
    s = s.slice(3)
  }
  const parts: string[] = []
  let cur = ''
  let quote = false
  for (const c of s) {
    if (c === "'") {
      quote = !quote
      continue
    }
    if (c === sep && !quote) {
      parts.push(cur)
      cur = ''
    } else cur += c
  }
  if (cur) parts.push(cur)
  for (const p of parts) {
    const i = p.indexOf('=')
    if (i > 0) out.set(p.slice(0, i).trim(), p.slice(i + 1))
  }
  return out
}

/** Index of the bracket closing the one at `start` (same kind), or -1. */
function closing(s: string, start: number, open: string, close: string): number {
  let depth = 0
  for (let i = start; i < s.length; i++) {
    if (s[i] === open) depth++
    else if (s[i] === close && --depth === 0) return i
  }
  return -1
}

/** Splits on a separator outside of {}, [] and ''. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = false
  let cur = ''
  for (const c of s) {
    if (c === "'") quote = !quote
    if (!quote) {
      if (c === '{' || c === '[' || c === '<') depth++
      else if (c === '}' || c === ']' || c === '>') depth--
    }
    if (c === sep && depth === 0 && !quote) {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

/** Parses the argument of `originate`; throws an Error with FreeSWITCH's usage text when malformed. */
export function parseOriginate(arg: string): OriginateRequest {
  const s = arg.trim()
  // The dial string ends at the first space outside brackets/quotes.
  let depth = 0
  let quote = false
  let end = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === "'") quote = !quote
    if (quote) continue
    if (c === '{' || c === '[' || c === '<') depth++
    else if (c === '}' || c === ']' || c === '>') depth--
    else if (c === ' ' && depth === 0) {
      end = i
      break
    }
  }
  let dial = s.slice(0, end)
  const rest = s.slice(end).trim()
  if (!dial || !rest)
    throw new Error(
      '-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n',
    )
  const globals = new Map<string, string>()
  while (dial.startsWith('{')) {
    const e = closing(dial, 0, '{', '}')
    if (e < 0) break
    for (const [k, v] of parseVars(dial.slice(1, e))) globals.set(k, v)
    dial = dial.slice(e + 1)
  }
  const groups: OriginateLeg[][] = splitTop(dial, '|').map((g) =>
    splitTop(g, ',')
      .map((legStr) => {
        let l = legStr.trim()
        const vars = new Map<string, string>()
        while (l.startsWith('[')) {
          const e = closing(l, 0, '[', ']')
          if (e < 0) break
          for (const [k, v] of parseVars(l.slice(1, e))) vars.set(k, v)
          l = l.slice(e + 1)
        }
        return { dial: l, vars }
      })
      .filter((l) => l.dial.length > 0),
  )
  const req: OriginateRequest = { groups: groups.filter((g) => g.length > 0), globals }
  if (rest.startsWith('&')) {
    const m = /^&([\w-]+)(?:\((.*)\))?(?:\s|$)/.exec(rest)
    const name = m ? m[1] : rest.slice(1).split(/\s/)[0]
    req.app = { name, arg: m?.[2] ?? '' }
  } else {
    const [dest, dialplan = 'XML', context = 'default'] = rest.split(/\s+/)
    req.exten = { dest, dialplan, context }
  }
  return req
}
