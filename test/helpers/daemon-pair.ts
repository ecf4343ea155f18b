/**
 * Two (or more) koplus daemon processes on one FreeSWITCH simulator and one private PostgreSQL, as the single-node
 * failover tests use them: each daemon reaches the simulator through its own EslTap (which daemon sent which
 * command, and when) and PostgreSQL through its own TcpProxy (a partition cuts that link, not the ESL). All their
 * data is on PostgreSQL (`database.url`); `dir` is their data directory (config files, cli-token).
 *
 *   const pair = daemonPair({ pgPort: pg.port, url, fsPort, dir })
 *   t.teardown(async () => { await pair.stopAll(); … })
 *   const a = await pair.start('node-a'); await pair.leads(a)
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EslTap } from '../../bench/helpers/esl-tap.js'
import { DaemonProcess, ROOT } from './daemon-process.js'
import { TcpProxy } from './tcp-proxy.js'

export interface PairNode {
  name: string
  proc: DaemonProcess
  tap: EslTap
  pgLink: TcpProxy
}

export function daemonPair(o: { pgPort: number; url: string; fsPort: number; dir: string }) {
  const nodes: PairNode[] = []

  /**
   * Starts daemon `name` with its own ESL tap and PostgreSQL link; resolves once it is connected to FreeSWITCH.
   * `api`: more keys of its api section (e.g. advertiseUrl).
   */
  async function start(name: string, api: Record<string, unknown> = {}): Promise<PairNode> {
    const tap = new EslTap(o.fsPort)
    const tapPort = await tap.listen()
    const pgLink = new TcpProxy(o.pgPort)
    const pgPort = await pgLink.listen()
    const configPath = join(o.dir, `koplus-${name}.json`)
    writeFileSync(
      configPath,
      JSON.stringify({
        database: { path: join(o.dir, 'koplus.sqlite'), url: o.url.replace(`:${o.pgPort}/`, `:${pgPort}/`) },
        freeswitch: { host: '127.0.0.1', port: tapPort, password: 'ClueCon' },
        api: { host: '127.0.0.1', port: 0, ...api },
        sounds: { dir: join(ROOT, 'sounds') },
        recordings: { dir: join(o.dir, 'recordings') },
        log: { level: 'info' },
      }),
    )
    const proc = new DaemonProcess(configPath, { KOPLUS_NODE_ID: name })
    const node = { name, proc, tap, pgLink }
    nodes.push(node)
    await proc.waitForLog((l) => l.msg === 'connected to FreeSWITCH', 20_000, `${name} connected`)
    return node
  }

  /** Resolves once `n` has rebuilt its view as the leader. */
  const leads = (n: PairNode) =>
    n.proc.waitForLog((l) => /^rebuilt the view/.test(l.msg), 20_000, `${n.name} rebuilt as leader`)

  async function stopAll(): Promise<void> {
    for (const n of nodes) {
      await n.proc.stop()
      await n.tap.close()
      await n.pgLink.close()
    }
  }

  return { nodes, start, leads, stopAll }
}
