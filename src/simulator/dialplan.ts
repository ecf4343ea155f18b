import type { AppCall } from './channel.js'

/** What the simulated dialplan does with a call to `destination` in `context`. */
export interface DialplanOptions {
  /** Queue numbers that set koplus_queue (like conf/dialplan/koplus.xml). Default: any 4-digit number starting 5. */
  queueNumbers?: Iterable<string> | ((destination: string) => boolean)
  /** Extra routes: destination (exact or RegExp) -> apps. Checked before the built-in routes. */
  routes?: Array<{ match: string | RegExp; apps: (dest: string, ctx: DialplanContext) => AppCall[] }>
}

export interface DialplanContext {
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

/** Routes a destination to a list of dialplan apps, or undefined (NO_ROUTE_DESTINATION). */
export class Dialplan {
  #isQueue: (d: string) => boolean
  #routes: NonNullable<DialplanOptions['routes']>

  constructor(opts: DialplanOptions = {}) {
    const q = opts.queueNumbers
    if (typeof q === 'function') this.#isQueue = q
    else if (q) {
      const set = new Set(q)
      this.#isQueue = (d) => set.has(d)
    } else this.#isQueue = (d) => /^5\d{3}$/.test(d)
    this.#routes = opts.routes ?? []
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
    if (dest === 'koplus-check') return [app('set', 'koplus_check=true'), app('set', `koplus_tenant=${ctx.domain}`), app('park')]
    if (dest.startsWith('*7')) return [app('set', `koplus_feature=${dest}`), app('set', `koplus_tenant=${ctx.domain}`), app('park')]
    if (this.#isQueue(dest)) return [app('set', `koplus_queue=${dest}`), app('set', `koplus_tenant=${ctx.domain}`), app('park')]
    return labExtension(dest)
  }
}
