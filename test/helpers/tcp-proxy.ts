/** A loopback TCP proxy whose link can be cut or frozen, to simulate losing the connection to FreeSWITCH. */
import net, { type AddressInfo, type Socket } from 'node:net'

export class TcpProxy {
  readonly #server: net.Server
  readonly #sockets = new Set<Socket>()
  readonly #links = new Set<[Socket, Socket]>()
  #down = false
  /** How many links were accepted so far (a reconnect shows as one more). */
  connections = 0

  constructor(
    public targetPort: number,
    readonly targetHost = '127.0.0.1',
  ) {
    this.#server = net.createServer((client) => {
      if (this.#down) {
        client.destroy()
        return
      }
      this.connections++
      const upstream = net.connect(this.targetPort, this.targetHost)
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => undefined)
      }
      client.pipe(upstream)
      upstream.pipe(client)
      const link: [Socket, Socket] = [client, upstream]
      this.#links.add(link)
      client.on('close', () => this.#links.delete(link))
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    return (this.#server.address() as AddressInfo).port
  }

  /** Cuts every open link (no ESL `exit`, like a network failure) and refuses new ones until up(). */
  down(): void {
    this.#down = true
    for (const s of this.#sockets) s.destroy()
  }

  /** Cuts every open link (no ESL `exit`) but keeps accepting new ones. */
  drop(): void {
    for (const [client, upstream] of this.#links) {
      client.destroy()
      upstream.destroy()
    }
  }

  /**
   * Freezes every open link: TCP stays open but no byte passes either way any more (a hung peer or a black-holed
   * path; no FIN, no RST). New links made afterwards work normally.
   */
  freeze(): void {
    for (const [client, upstream] of this.#links) {
      client.unpipe(upstream)
      upstream.unpipe(client)
      client.pause()
      upstream.pause()
    }
    this.#links.clear()
  }

  /**
   * Points new links at another port (a virtual IP or DNS name moved to a promoted replica). Open links stay on
   * the old target until it closes them; drop() cuts them at once.
   */
  retarget(port: number): void {
    this.targetPort = port
  }

  up(): void {
    this.#down = false
  }

  async close(): Promise<void> {
    this.down()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
