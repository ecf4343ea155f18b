/**
 * A loopback TCP proxy in front of the FreeSWITCH simulator that records every command a daemon writes to its ESL
 * connection, with the time it passed (performance.now()): which daemon commanded FreeSWITCH, and when. Commands
 * are framed as ESL frames them (a command line, header lines, a blank line, then Content-Length bytes of body).
 */
import net, { type AddressInfo, type Socket } from 'node:net'
import { isReadOnlyApi } from '../../src/daemon/command-gate.js'

export interface TappedCommand {
  at: number
  line: string
}

export class EslTap {
  readonly #server: net.Server
  readonly #sockets = new Set<Socket>()
  /** Every command frame written by the daemon, in order. */
  readonly frames: TappedCommand[] = []

  constructor(readonly targetPort: number) {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1')
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => undefined)
      }
      let buf = Buffer.alloc(0)
      client.on('data', (d: Buffer) => {
        const at = performance.now()
        buf = Buffer.concat([buf, d])
        for (;;) {
          let start = 0
          while (start < buf.length && (buf[start] === 0x0a || buf[start] === 0x0d)) start++
          const end = buf.indexOf('\n\n', start)
          if (end < 0) break
          const head = buf.toString('utf8', start, end).split('\n')
          const len = Number(/^content-length:\s*(\d+)/im.exec(head.join('\n'))?.[1] ?? 0)
          if (buf.length < end + 2 + len) break
          this.frames.push({
            at,
            line: `${head[0].trim()}${head[0].startsWith('sendmsg') ? ` ${head.find((h) => /^call-command:/i.test(h)) ?? ''}` : ''}`,
          })
          buf = buf.subarray(end + 2 + len)
        }
      })
      client.pipe(upstream)
      upstream.pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    return (this.#server.address() as AddressInfo).port
  }

  /**
   * The frames that command FreeSWITCH: `api`/`bgapi` other than read-only ones, and `sendmsg`. Not: auth, event
   * subscriptions, filters, `exit`, and the reads (show channels, uuid_exists, the `api status` liveness probe).
   */
  commands(): TappedCommand[] {
    return this.frames.filter((f) => {
      const m = /^(api|bgapi)\s+(.*)$/.exec(f.line)
      if (m) return !isReadOnlyApi(m[2])
      return f.line.startsWith('sendmsg')
    })
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
