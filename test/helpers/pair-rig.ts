/**
 * A pair of koplus daemon processes (active/standby over one private PostgreSQL) in front of one or more simulated
 * FreeSWITCH nodes (issue 12). Each daemon reaches each node through its own EslTap (which daemon sent which
 * command to which node, and when) and PostgreSQL through its own TcpProxy (a partition cuts that link only).
 *
 * `pairConfig` is the one place that says where a daemon's data lives: its `database` line. With `url` set, all the
 * pair's data is on PostgreSQL (the leader lock too); `path` is then not used for data, its directory stays the data
 * directory (the CLI token file). Tests built on this rig configure and read through the daemons' APIs, or a Store
 * opened on the same URL.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EslTap } from '../../bench/helpers/esl-tap.js'
import { DaemonProcess, ROOT } from './daemon-process.js'
import { TcpProxy } from './tcp-proxy.js'

/** A simulated FreeSWITCH node as the daemons see it. */
export interface SimNode {
  id: string
  /** The simulator's ESL port on 127.0.0.1. */
  eslPort: number
  /** Its address on the simulated SIP network (for the inter-node dial string). */
  sipAddress: string
}

export interface PairDaemon {
  name: string
  proc: DaemonProcess
  /** One tap per node, by node id. */
  taps: Map<string, EslTap>
  pgLink: TcpProxy
}

/** The configuration of one daemon of the pair. */
export function pairConfig(o: {
  dbPath: string
  /** postgres://… through this daemon's own link. */
  url: string
  /** The nodes, with the ESL port of this daemon's tap to each. */
  nodes: { id: string; port: number; sipAddress: string }[]
  dir: string
}): Record<string, unknown> {
  return {
    database: { path: o.dbPath, url: o.url }, // url set: every daemon's data is on PostgreSQL
    freeswitch: {
      password: 'ClueCon',
      nodes: o.nodes.map((n) => ({ id: n.id, host: '127.0.0.1', port: n.port, sipAddress: n.sipAddress })),
      interNodeDialString: 'sofia/internal/${target}@${nodeAddress}',
    },
    api: { host: '127.0.0.1', port: 0 },
    sounds: { dir: join(ROOT, 'sounds') },
    recordings: { dir: join(o.dir, 'recordings') },
    log: { level: 'info' },
  }
}

/**
 * Starts daemon `name` with its own taps and PostgreSQL link; resolves once it is connected to every node.
 * `pgPort` is the PostgreSQL port its link forwards to; `dbUrl` the database's URL on that port.
 */
export async function startPairDaemon(o: {
  name: string
  nodes: SimNode[]
  pgPort: number
  dbUrl: string
  dbPath: string
  dir: string
}): Promise<PairDaemon> {
  const taps = new Map<string, EslTap>()
  const viaTaps: { id: string; port: number; sipAddress: string }[] = []
  for (const n of o.nodes) {
    const tap = new EslTap(n.eslPort)
    taps.set(n.id, tap)
    viaTaps.push({ id: n.id, port: await tap.listen(), sipAddress: n.sipAddress })
  }
  const pgLink = new TcpProxy(o.pgPort)
  const linkPort = await pgLink.listen()
  const configPath = join(o.dir, `koplus-${o.name}.json`)
  const url = o.dbUrl.replace(`:${o.pgPort}/`, `:${linkPort}/`)
  writeFileSync(configPath, JSON.stringify(pairConfig({ dbPath: o.dbPath, url, nodes: viaTaps, dir: o.dir })))
  const proc = new DaemonProcess(configPath, { KOPLUS_NODE_ID: o.name })
  const d = { name: o.name, proc, taps, pgLink }
  for (const n of o.nodes)
    await proc.waitForLog(
      (l) => l.msg === 'connected to FreeSWITCH' && (o.nodes.length === 1 || l.node === n.id),
      20_000,
      `${o.name} connected to ${n.id}`,
    )
  return d
}

export async function stopPairDaemon(d: PairDaemon): Promise<void> {
  await d.proc.stop()
  for (const tap of d.taps.values()) await tap.close()
  await d.pgLink.close()
}

/** Every command a daemon sent, on any node, with the node's id. */
export function commandsOf(d: PairDaemon): { node: string; at: number; line: string }[] {
  return [...d.taps].flatMap(([node, tap]) => tap.commands().map((c) => ({ node, at: c.at, line: c.line })))
}
