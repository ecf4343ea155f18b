/**
 * The inbound Event Socket listener (mod_event_socket): one EslConnection per TCP client.
 * Command texts and replies as in FreeSWITCH 1.10.12 (captures: inbound-misc, inbound-authfail,
 * inbound-bgapi, inbound-sendmsg).
 */
import { randomUUID } from 'node:crypto'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { runApiCommand, splitCommand } from './api-commands.js'
import {
  apiResponse,
  commandReply,
  disconnectNotice,
  jsonEventFrame,
  plainEventFrame,
  type Header,
  type SimEvent,
} from './serialize.js'
import { EventDelivery } from './event-delivery.js'
import type { FreeSwitchSimulator } from './simulator.js'

/** A received command: first line plus `Name: value` header lines (sendmsg, bgapi Job-UUID). */
interface Command {
  line: string
  headers: Map<string, string>
  body?: string
}

export class EslServer {
  readonly #server: Server
  readonly #conns = new Set<EslConnection>()
  #closedLf = 0
  #closedWakes = 0

  constructor(readonly sim: FreeSwitchSimulator) {
    this.#server = createServer((socket) => {
      const c = new EslConnection(sim, socket, () => {
        this.#closedLf += c.lfBytes
        this.#closedWakes += c.wakes
        this.#conns.delete(c)
        sim.connectionsChanged()
      })
      this.#conns.add(c)
      sim.connectionsChanged()
    })
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject)
        resolve(this.#server.address() as AddressInfo)
      })
    })
  }

  get connectionCount(): number {
    return this.#conns.size
  }

  /** Over all connections so far: LF/CR bytes received outside commands, and listener-thread wake-ups. */
  get stats(): { clientLfBytes: number; listenerWakes: number } {
    let lf = this.#closedLf
    let wakes = this.#closedWakes
    for (const c of this.#conns) {
      lf += c.lfBytes
      wakes += c.wakes
    }
    return { clientLfBytes: lf, listenerWakes: wakes }
  }

  close(): Promise<void> {
    for (const c of this.#conns) c.destroy()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}

class EslConnection {
  #buf: Buffer = Buffer.alloc(0)
  #authed = false
  #format: 'plain' | 'json' | undefined
  /** Subscribed event names; 'ALL' for everything; CUSTOM subclasses separately. */
  #events = new Set<string>()
  #subclasses = new Set<string>()
  #filters: Array<[string, string]> = []
  #queue: Command[] = []
  #busy = false
  #closed = false
  #offEvents: () => void
  /** mod_event_socket's delivery rule (sim.eslPollMs, event-delivery.ts) or at once. */
  readonly #delivery: EventDelivery
  #wakePending = false
  /** LF/CR bytes received outside commands (wake-ups, "bah" in read_packet). */
  lfBytes = 0

  constructor(
    readonly sim: FreeSwitchSimulator,
    readonly socket: Socket,
    onClose: () => void,
  ) {
    socket.setNoDelay(true)
    this.#delivery = new EventDelivery(
      sim.clock,
      sim.eslPollMs,
      (b) => this.#write(b),
      () => !this.#busy && this.#queue.length === 0 && this.#buf.length === 0,
    )
    socket.on('data', (d) => this.#onData(d))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      this.#closed = true
      this.#delivery.close()
      this.#offEvents()
      onClose()
    })
    this.#offEvents = sim.onEvent((ev) => this.#onEvent(ev))
    this.#write(Buffer.from('Content-Type: auth/request\n\n'))
  }

  destroy(): void {
    this.socket.destroy()
  }

  get wakes(): number {
    return this.#delivery.wakes
  }

  #write(b: Buffer): void {
    if (!this.#closed && !this.socket.destroyed) this.socket.write(b)
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d
    for (;;) {
      // Stray newlines between commands carry nothing.
      let start = 0
      while (start < this.#buf.length && (this.#buf[start] === 0x0a || this.#buf[start] === 0x0d)) start++
      this.lfBytes += start
      const text = this.#buf.subarray(start)
      const end = text.indexOf('\n\n')
      if (end < 0) {
        this.#buf = text
        break
      }
      const lines = text.toString('utf8', 0, end).replace(/\r/g, '').split('\n')
      const line = lines.shift()!.trim()
      const headers = new Map<string, string>()
      for (const l of lines) {
        const i = l.indexOf(':')
        if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim())
      }
      // A command may carry a body (sendmsg with a multi-line argument: content-length + text/plain).
      const len = Number(headers.get('content-length') ?? 0)
      if (text.length < end + 2 + len) {
        this.#buf = text
        break
      }
      const body = len > 0 ? text.toString('utf8', end + 2, end + 2 + len) : undefined
      this.#buf = text.subarray(end + 2 + len)
      this.#queue.push({ line, headers, body })
    }
    this.#drain()
  }

  /** Commands are answered strictly in order; an `api originate` holds the ones after it. */
  #drain(): void {
    while (!this.#busy && this.#queue.length && !this.#closed) {
      const c = this.#queue.shift()!
      this.#busy = true
      this.#handle(c, () => {
        this.#busy = false
      })
    }
    if (!this.#busy) this.#wakeListener()
  }

  /**
   * The listener thread is awake and idle again (bytes consumed, commands answered): queued events go out.
   * After the current call stack, so that the events a command caused (held by withDeferredEvents until its
   * reply is written) are in the queue first, as in FreeSWITCH, where read_packet flushes them on re-entry.
   */
  #wakeListener(): void {
    if (this.#wakePending || this.#delivery.pollMs === 0) return
    this.#wakePending = true
    queueMicrotask(() => {
      this.#wakePending = false
      if (!this.#closed) this.#delivery.wake()
    })
  }

  #reply(text: string, extra: Header[] = []): void {
    this.#write(commandReply(text, extra))
  }

  #handle(c: Command, done: () => void): void {
    const { cmd, arg } = splitCommand(c.line)
    if (!this.#authed) {
      if (cmd === 'auth') {
        if (arg === this.sim.password) {
          this.#authed = true
          this.#reply('+OK accepted')
        } else {
          this.#reply('-ERR invalid')
          this.#write(disconnectNotice())
          this.socket.end()
        }
      } else {
        this.#reply('-ERR command not found')
      }
      return done()
    }
    switch (cmd) {
      case 'api':
        return this.#api(arg, done)
      case 'bgapi': {
        const job = c.headers.get('job-uuid') ?? randomUUID()
        this.#reply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]])
        this.#bgapi(arg, job)
        return done()
      }
      case 'event':
        this.#subscribe(arg)
        return done()
      case 'nixevent':
        for (const n of arg.split(/\s+/)) this.#events.delete(n)
        this.#reply('+OK events removed')
        return done()
      case 'noevents':
        this.#events.clear()
        this.#subclasses.clear()
        this.#format = undefined
        this.#reply('+OK no longer listening for events')
        return done()
      case 'filter':
        this.#filter(arg)
        return done()
      case 'log': {
        const level = arg || '7'
        this.#reply(`+OK log level ${level} [${level}]`)
        return done()
      }
      case 'nolog':
        this.#reply('+OK no longer logging')
        return done()
      case 'sendmsg':
        this.#sendmsg(arg, c.headers, c.body)
        return done()
      case 'exit':
        this.#reply('+OK bye')
        this.#write(disconnectNotice())
        this.socket.end()
        return done()
      default:
        this.#reply('-ERR command not found')
        return done()
    }
  }

  #apiEvent(cmdLine: string): void {
    const { cmd, arg } = splitCommand(cmdLine)
    const h = this.sim.baseHeaders('API')
    h.push(['API-Command', cmd])
    if (arg) h.push(['API-Command-Argument', arg])
    this.sim.emit({ name: 'API', headers: h })
  }

  #api(line: string, done: () => void): void {
    let replied = false
    this.sim.withDeferredEvents(() => {
      runApiCommand(this.sim, line, (text) => {
        replied = true
        this.#write(apiResponse(text))
        this.#apiEvent(line)
        done()
        this.#drain()
      })
    })
    if (!replied) {
      // originate: the reply comes later; the connection waits for it (mod_event_socket runs api inline).
    }
  }

  #bgapi(line: string, job: string): void {
    const { cmd, arg } = splitCommand(line)
    runApiCommand(
      this.sim,
      line,
      (text) => {
        this.#apiEvent(line)
        const h = this.sim.baseHeaders('BACKGROUND_JOB')
        h.push(['Job-UUID', job], ['Job-Command', cmd])
        if (arg) h.push(['Job-Command-Arg', arg])
        this.sim.emit({ name: 'BACKGROUND_JOB', headers: h, body: text })
      },
      job,
    )
  }

  #subscribe(arg: string): void {
    const parts = arg.split(/\s+/).filter(Boolean)
    let format: 'plain' | 'json' = 'plain'
    if (parts[0] === 'plain' || parts[0] === 'json' || parts[0] === 'xml')
      format = parts.shift() === 'json' ? 'json' : 'plain'
    let custom = false
    for (const p of parts) {
      if (p === 'CUSTOM') custom = true
      else if (custom && p.includes('::')) this.#subclasses.add(p)
      else this.#events.add(p)
    }
    if (custom) this.#events.add('CUSTOM')
    this.#format = format
    this.#reply(`+OK event listener enabled ${format}`)
  }

  #filter(arg: string): void {
    const parts = arg.split(/\s+/)
    if (parts[0] === 'delete') {
      const [, name, value] = parts
      this.#filters = this.#filters.filter(([n, v]) => !(n === name && (value === undefined || v === value)))
      this.#reply(`+OK filter deleted. [${name}][${value ?? ''}]`)
      return
    }
    const [name, ...rest] = parts
    const value = rest.join(' ')
    this.#filters.push([name, value])
    this.#reply(`+OK filter added. [${name}]=[${value}]`)
  }

  #sendmsg(arg: string, headers: Map<string, string>, body?: string): void {
    const uuid = arg || headers.get('unique-id') || ''
    const ch = this.sim.channel(uuid)
    if (!ch || ch.hungUp) {
      this.#reply(`-ERR invalid session id [${uuid}]`)
      return
    }
    const command = headers.get('call-command')
    this.sim.withDeferredEvents(
      () => {
        if (command === 'execute') {
          const app = headers.get('execute-app-name') ?? ''
          const loops = Number(headers.get('loops') ?? '1') || 1
          // switch_ivr_parse_event: a text/plain body is the application argument.
          const appArg = headers.get('execute-app-arg') ?? (body !== undefined ? body.replace(/\n$/, '') : '')
          ch.queue.push({ app, arg: appArg, uuid: headers.get('event-uuid'), loops })
          this.sim.pump(ch)
        } else if (command === 'hangup') {
          this.sim.hangup(ch, headers.get('hangup-cause') ?? 'NORMAL_CLEARING')
        } else if (command === 'unicast' || command === 'nomedia') {
          // not simulated
        }
      },
      () => this.#reply('+OK'),
    )
  }

  #onEvent(ev: SimEvent): void {
    if (!this.#authed || !this.#format || this.#closed) return
    if (!this.#events.has('ALL') && !this.#events.has(ev.name)) return
    if (
      ev.name === 'CUSTOM' &&
      !this.#events.has('ALL') &&
      this.#subclasses.size &&
      !this.#subclasses.has(ev.subclass ?? '')
    )
      return
    if (this.#filters.length) {
      // mod_event_socket filters: an event passes if any filter header matches.
      const ok = this.#filters.some(([n, v]) => ev.headers.some(([k, val]) => k === n && val === v))
      if (!ok) return
    }
    this.#delivery.push(this.#format === 'json' ? jsonEventFrame(ev) : plainEventFrame(ev))
  }
}
