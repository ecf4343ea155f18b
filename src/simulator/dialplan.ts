import type { AppCall } from './channel.js'
import { VANILLA_DEFAULT, VANILLA_PUBLIC, type VanillaExtension } from '../doctor/vanilla-dialplan.js'

/** What the simulated dialplan does with a call to `destination` in `context`. */
export interface DialplanOptions {
  /** Queue numbers that set koplus_queue (like conf/dialplan/koplus.xml). Default: any 4-digit number starting 5. */
  queueNumbers?: Iterable<string> | ((destination: string) => boolean)
  /** Extra routes: destination (exact or RegExp) -> apps. Checked before the built-in routes. */
  routes?: Array<{ match: string | RegExp; apps: (dest: string, ctx: DialplanContext) => AppCall[] }>
  /**
   * FreeSWITCH's vanilla configuration (`make samples`) with koplus installed (issue 15), modelled on
   * conf/vanilla/dialplan/default.xml and public.xml (src/doctor/vanilla-dialplan.ts):
   * - 'jump': as docs/install-freeswitch.md installs it: context "koplus" (conf/freeswitch/dialplan/koplus.xml),
   *   reached by the jump extension (continue="true", execute_extension) placed first in default and public;
   * - 'end': the old layout: koplus's extensions in dialplan/default/, i.e. AFTER every stock extension;
   * - 'absent': the vanilla dialplan without koplus.
   * Unset: the plain test dialplan (koplus's extensions only, in every context).
   */
  vanilla?: 'jump' | 'end' | 'absent'
  /** Global variables (`global_getvar`; `${var}` conditions fall back to them). Vanilla: default_password=1234. */
  globals?: Record<string, string>
}

interface DialplanContext {
  /** The tenant domain of the call (sip_auth_realm / domain_name), default "default". */
  domain: string
  context: string
}

const app = (name: string, arg = ''): AppCall => ({ app: name, arg, loops: 1 })

/**
 * The lab extensions of the captures' dialplan context "lab" (INDEX.txt SET 2): agents that answer,
 * ring forever, are busy or decline.
 */
export function labExtension(dest: string): AppCall[] | undefined {
  switch (dest) {
    case 'agent-answer':
      return [app('answer'), app('park')]
    case 'agent-answer-1s':
      return [app('ring_ready'), app('sleep', '1000'), app('answer'), app('park')]
    case 'agent-answer-3s':
      return [app('ring_ready'), app('sleep', '3000'), app('answer'), app('park')]
    case 'ring-forever':
      return [app('ring_ready'), app('sleep', '600000')]
    case 'busy-486':
      return [app('respond', '486'), app('hangup', 'USER_BUSY')]
    case 'decline-603':
      return [app('respond', '603'), app('hangup', 'CALL_REJECTED')]
    case 'hold':
      return [app('answer'), app('park')]
    default:
      return undefined
  }
}

/** An extension of a simulated XML context: first match wins unless `continue` (mod_dialplan_xml). */
interface XmlExtension {
  name: string
  continue?: boolean
  /** The actions if the extension matches `dest`, else undefined. */
  match(dest: string, ctx: DialplanContext): AppCall[] | undefined
}

/** Expands $1… captures and the few channel variables stock data uses (${domain_name}, ${destination_number}). */
function expand(data: string, m: RegExpExecArray | null, dest: string, ctx: DialplanContext): string {
  return data
    .replace(/\$(\d)/g, (all, i: string) => (m ? (m[Number(i)] ?? '') : all))
    .replace(/(?<!\$)\$\{domain_name\}/g, ctx.domain)
    .replace(/(?<!\$)\$\{destination_number\}/g, dest)
}

/** Routes a destination to a list of dialplan apps, or undefined (NO_ROUTE_DESTINATION). */
export class Dialplan {
  #isQueue: (d: string) => boolean
  #routes: NonNullable<DialplanOptions['routes']>
  readonly vanilla: DialplanOptions['vanilla']
  /** Global variables (X-PRE-PROCESS set in vars.xml): `global_getvar`, `${var}` conditions. */
  readonly globals: Map<string, string>

  constructor(opts: DialplanOptions = {}) {
    const q = opts.queueNumbers
    if (typeof q === 'function') this.#isQueue = q
    else if (q) {
      const set = new Set(q)
      this.#isQueue = (d) => set.has(d)
    } else this.#isQueue = (d) => /^5\d{3}$/.test(d)
    this.#routes = opts.routes ?? []
    this.vanilla = opts.vanilla
    this.globals = new Map(Object.entries({ ...(opts.vanilla ? { default_password: '1234' } : {}), ...opts.globals }))
  }

  /** Adds or replaces the queue-number test. */
  setQueueNumbers(numbers: Iterable<string>): void {
    const set = new Set(numbers)
    this.#isQueue = (d) => set.has(d)
  }

  /** Adds a custom route (checked before the built-in ones). */
  addRoute(match: string | RegExp, apps: (dest: string, ctx: DialplanContext) => AppCall[]): void {
    this.#routes.unshift({ match, apps })
  }

  route(dest: string, ctx: DialplanContext): AppCall[] | undefined {
    for (const r of this.#routes) {
      if (typeof r.match === 'string' ? r.match === dest : r.match.test(dest)) return r.apps(dest, ctx)
    }
    if (ctx.context === 'lab') {
      const lab = labExtension(dest)
      if (lab) return lab
    }
    if (this.vanilla) {
      const exts = this.#context(ctx.context)
      if (exts) return this.#hunt(exts, dest, ctx)
      return labExtension(dest)
    }
    return this.#koplus(dest, ctx) ?? labExtension(dest)
  }

  /** koplus's extensions (conf/freeswitch/dialplan/koplus.xml): check, queue numbers, feature codes. */
  #koplus(dest: string, ctx: DialplanContext): AppCall[] | undefined {
    if (dest === 'koplus-check')
      return [app('set', 'koplus_check=true'), app('set', `koplus_tenant=${ctx.domain}`), app('park')]
    if (dest.startsWith('*7'))
      return [app('set', `koplus_feature=${dest}`), app('set', `koplus_tenant=${ctx.domain}`), app('park')]
    if (this.#isQueue(dest))
      return [app('set', `koplus_queue=${dest}`), app('set', `koplus_tenant=${ctx.domain}`), app('park')]
    return undefined
  }

  /** The extensions of a context of the vanilla model, in file order; undefined for a context it does not define. */
  #context(name: string): XmlExtension[] | undefined {
    const koplusExt: XmlExtension = { name: 'koplus-*', match: (d, c) => this.#koplus(d, c) }
    if (name === 'koplus') return this.vanilla === 'jump' ? [koplusExt] : undefined
    if (name !== 'default' && name !== 'public') return undefined
    const list: XmlExtension[] = []
    if (this.vanilla === 'jump') {
      // conf/freeswitch/dialplan/koplus-jump.xml: first in the context; public does not pass '*' numbers.
      const expression = name === 'public' ? /^[^*]/ : /^.+$/
      list.push({
        name: 'koplus',
        continue: true,
        match: (d) => (expression.test(d) ? [app('execute_extension', `${d} XML koplus`)] : undefined),
      })
    }
    for (const e of name === 'public' ? VANILLA_PUBLIC : VANILLA_DEFAULT) list.push(this.#stock(e))
    // the old layout: dialplan/default/00_koplus.xml, included near the end of default.xml
    if (this.vanilla === 'end' && name === 'default') list.push(koplusExt)
    return list
  }

  #stock(e: VanillaExtension): XmlExtension {
    const re = new RegExp(e.expression)
    return {
      name: e.name,
      continue: e.continue,
      match: (dest, ctx) => {
        const subject = e.variable ? (this.globals.get(e.variable) ?? '') : dest
        const m = e.expression ? re.exec(subject) : null
        if (e.expression && !m) return undefined
        return e.actions.map(([name, data]) => app(name, expand(data, m, dest, ctx)))
      },
    }
  }

  /** mod_dialplan_xml's hunt: the actions of the first matching extension, and of every continue="true" one before it. */
  #hunt(exts: XmlExtension[], dest: string, ctx: DialplanContext): AppCall[] | undefined {
    const actions: AppCall[] = []
    let matched = false
    for (const e of exts) {
      const apps = e.match(dest, ctx)
      if (!apps) continue
      matched = true
      actions.push(...apps)
      if (!e.continue) break
    }
    return matched ? actions.map((a) => ({ ...a, dialplan: true })) : undefined
  }
}
