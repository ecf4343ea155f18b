/**
 * Helpers for comparing the simulator's ESL bytes with the real FreeSWITCH captures in
 * ../shared/esl-captures: frame decoding, UUID normalisation, a raw ESL test client, and the
 * replay of a capture's tx side on a virtual clock with its recorded timing.
 */
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { EslParser, type EslFrame } from '../../src/freeswitch/esl/parser.js'
import type { VirtualClock } from '../../src/util/clock.js'

export const CAPTURES = process.env.ESL_CAPTURES ?? '/work/shared/esl-captures'

/** Events the simulator promises to reproduce in FreeSWITCH's order (noise such as CODEC left out). */
export const CORE_EVENTS = new Set([
  'CHANNEL_CREATE',
  'CHANNEL_PROGRESS',
  'CHANNEL_ANSWER',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_DESTROY',
  'DTMF',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'RECORD_START',
  'RECORD_STOP',
])

/** A decoded event: header pairs in wire order (values URL-decoded for plain) and the body. */
export interface DecodedEvent {
  name: string
  headers: Array<[string, string]>
  body?: string
  get(name: string): string | undefined
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Decodes a text/event-plain or text/event-json frame. */
export function decodeEvent(frame: EslFrame): DecodedEvent | undefined {
  const ct = frame.headers['Content-Type']
  const text = frame.body?.toString('utf8') ?? ''
  let headers: Array<[string, string]>
  let body: string | undefined
  if (ct === 'text/event-json') {
    // Keep duplicate keys and order: parse pairs by hand via a reviver-free scan of JSON.parse output.
    const obj = JSON.parse(text) as Record<string, string>
    headers = Object.entries(obj).filter(([k]) => k !== '_body')
    body = obj._body
  } else if (ct === 'text/event-plain') {
    const end = text.indexOf('\n\n')
    const head = end < 0 ? text : text.slice(0, end)
    headers = head
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf(': ')
        return [l.slice(0, i), safeDecode(l.slice(i + 2))] as [string, string]
      })
    if (end >= 0 && end + 2 < text.length) body = text.slice(end + 2)
  } else return undefined
  const map = new Map(headers)
  return { name: map.get('Event-Name') ?? '', headers, body, get: (n) => map.get(n) }
}

/** Frames of a capture's rx side. */
export function captureFrames(name: string): EslFrame[] {
  return new EslParser().push(readFileSync(`${CAPTURES}/${name}.rx.txt`))
}

/** The tx writes of a capture with their times (ms from the first write). */
export function captureTx(name: string): Array<{ t: number; text: string }> {
  const chunks = JSON.parse(readFileSync(`${CAPTURES}/${name}.chunks.json`, 'utf8')) as Array<{
    dir: string
    t_ms: number
    b64: string
  }>
  const tx = chunks.filter((c) => c.dir === 'tx')
  const t0 = tx[0]?.t_ms ?? 0
  return tx.map((c) => ({ t: c.t_ms - t0, text: Buffer.from(c.b64, 'base64').toString('utf8') }))
}

/** How long a capture's connection lasted, from the first tx write to the last chunk (ms). */
export function captureDurationMs(name: string): number {
  const chunks = JSON.parse(readFileSync(`${CAPTURES}/${name}.chunks.json`, 'utf8')) as Array<{
    dir: string
    t_ms: number
  }>
  const t0 = chunks.find((c) => c.dir === 'tx')?.t_ms ?? 0
  return (chunks.at(-1)?.t_ms ?? t0) - t0
}

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
export const normUuids = (s: string): string => s.replace(UUID_RE, '<uuid>')

/** The sequence of non-event frames: Content-Type plus Reply-Text (UUIDs normalised). */
export function replySkeleton(frames: EslFrame[]): string[] {
  return frames
    .filter(
      (f) => !String(f.headers['Content-Type']).startsWith('text/event-') && f.headers['Content-Type'] !== 'log/data',
    )
    .map(
      (f) => `${f.headers['Content-Type']}${f.headers['Reply-Text'] ? ' ' + normUuids(f.headers['Reply-Text']) : ''}`,
    )
}

/** Decoded events of a frame list. */
export function events(frames: EslFrame[]): DecodedEvent[] {
  return frames.map(decodeEvent).filter((e): e is DecodedEvent => !!e)
}

/** Event names (CORE_EVENTS only) for one channel, with the application of EXECUTE events. */
export function channelSequence(evs: DecodedEvent[], uuid: string): string[] {
  return evs
    .filter((e) => e.get('Unique-ID') === uuid && CORE_EVENTS.has(e.name))
    .map((e) => (e.name.startsWith('CHANNEL_EXECUTE') ? `${e.name}:${e.get('Application')}` : e.name))
}

/**
 * The header-name skeleton of an event: names in order, with runs of Caller-*, Other-Leg-* and
 * variable_* collapsed to one marker (their members depend on the endpoint type).
 */
export function headerSkeleton(e: DecodedEvent): string[] {
  const out: string[] = []
  for (const [k] of e.headers) {
    const g = k.startsWith('variable_')
      ? 'variable_*'
      : k.startsWith('Caller-')
        ? 'Caller-*'
        : k.startsWith('Other-Leg-')
          ? 'Other-Leg-*'
          : k
    if (g.endsWith('*') && out[out.length - 1] === g) continue
    out.push(g)
  }
  return out
}

/** A raw ESL client for tests: collects every frame and can wait for one. */
export class RawEsl {
  readonly frames: EslFrame[] = []
  readonly socket: Socket
  #parser = new EslParser()
  #waiters: Array<{ test: (f: EslFrame) => boolean; resolve: (f: EslFrame) => void; from: number }> = []
  closed: Promise<void>

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1')
    this.socket.setNoDelay(true)
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()))
    this.socket.on('data', (d) => {
      for (const f of this.#parser.push(d)) {
        this.frames.push(f)
        const idx = this.frames.length - 1
        for (const w of [...this.#waiters]) {
          if (idx >= w.from && w.test(f)) {
            this.#waiters = this.#waiters.filter((x) => x !== w)
            w.resolve(f)
          }
        }
      }
    })
  }

  /** Resolves with the first frame at index >= from matching test (already received or future). */
  waitFrame(test: (f: EslFrame) => boolean, from = 0, timeoutMs = 3000): Promise<EslFrame> {
    for (let i = from; i < this.frames.length; i++) if (test(this.frames[i])) return Promise.resolve(this.frames[i])
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for frame')), timeoutMs)
      this.#waiters.push({
        test,
        from,
        resolve: (f) => {
          clearTimeout(t)
          resolve(f)
        },
      })
    })
  }

  /** Sends a command and resolves with its reply (command/reply or api/response). */
  async command(text: string): Promise<EslFrame> {
    const from = this.frames.length
    this.socket.write(text.endsWith('\n\n') ? text : text + '\n\n')
    return this.waitFrame(
      (f) => f.headers['Content-Type'] === 'command/reply' || f.headers['Content-Type'] === 'api/response',
      from,
    )
  }

  events(): DecodedEvent[] {
    return events(this.frames)
  }

  end(): void {
    this.socket.end()
  }
}

/** Lets pending socket I/O and promise callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r))
}

/**
 * Replays the tx commands of a capture (after `skip` writes) against a client, advancing the
 * virtual clock by the recorded gaps; `before(i)` runs world actions before the clock moves on to write i.
 */
export async function replayTx(
  esl: RawEsl,
  clock: VirtualClock,
  tx: Array<{ t: number; text: string }>,
  opts: { skip?: number; map?: (s: string) => string; before?: (i: number) => void | Promise<void> } = {},
): Promise<void> {
  const start = clock.now() - (tx[opts.skip ?? 0]?.t ?? 0)
  for (let i = opts.skip ?? 0; i < tx.length; i++) {
    await opts.before?.(i)
    await settle()
    clock.runUntil(Math.max(clock.now(), start + tx[i].t))
    await settle()
    const text = opts.map ? opts.map(tx[i].text) : tx[i].text
    for (const cmd of text.split(/(?<=\n\n)/).filter((c) => c.trim())) {
      if (cmd.startsWith('exit')) {
        esl.socket.write(cmd)
        await esl.closed
        return
      }
      await esl.command(cmd)
    }
    await settle()
  }
}
