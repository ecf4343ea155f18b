/**
 * Wiring the API to a running daemon: `startDaemonApi` is what `koplus daemon` passes to runDaemonCommand as
 * `startApi`. It starts the HTTP server on config.api.host:port with the web pages mounted, binds the Prometheus metrics to the daemon's status
 * and ESL state, and writes the CLI's local operator token to <data dir>/cli-token (0640: the daemon's group may read it).
 */
import { readFileSync } from 'node:fs'
import { dataDirOf } from '../config/data-dir.js'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import type { Daemon } from '../daemon/daemon.js'
import { writeCliToken } from '../daemon/cli-token.js'
import { engineViewOf } from './engine-view.js'
import { ChangeNotifier, daemonLive } from './live.js'
import { KoplusMetrics } from './metrics.js'
import { queuesOpenAt } from './queues-open.js'
import { startApiServer, type ApiServer } from './server.js'
import { mountWeb } from './static.js'

export { dataDirOf }

export interface DaemonApi {
  url: string
  server: ApiServer
  metrics: KoplusMetrics
  changes: ChangeNotifier
  tokenPath: string
  close(): Promise<void>
}

/** The token of api.metricsTokenFile (undefined: none configured). A missing or empty file stops the start with a clear error. */
export function readMetricsToken(path: string | null): string | undefined {
  if (path === null) return undefined
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(
      `api.metricsTokenFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    )
  }
  const token = text.trim()
  if (token.length < 16 || /\s/.test(token))
    throw new Error(`api.metricsTokenFile: ${path} must hold one token of at least 16 characters without spaces`)
  return token
}

/** Undefined while this daemon takes changes; else a 503's message naming the leader (docs/scale-out.md). */
export function notLeaderMessage(daemon: Pick<Daemon, 'leadership'>): string | undefined {
  const l = daemon.leadership
  if (!l || l.role === 'leader') return undefined
  const leader = l.state().leader
  const self = `this daemon (${l.nodeId}) is ${l.role === 'fenced' ? 'fenced and stopping' : 'a standby'}`
  if (!leader) return `${self} and no leader is known yet; try again in a few seconds`
  return `${self}; send changes to the leader ${leader.nodeId}${leader.api ? ` at ${leader.api}` : ''}`
}

export async function startDaemonApi(
  daemon: Daemon,
  config: Config,
  logger: Logger,
  opts: { secure?: boolean } = {},
): Promise<DaemonApi> {
  // first, so a bad token file stops the start before anything is running
  const metricsToken = readMetricsToken(config.api.metricsTokenFile)
  if (metricsToken !== undefined)
    logger.info({ path: config.api.metricsTokenFile }, '/metrics needs the bearer token of api.metricsTokenFile')
  const changes = new ChangeNotifier()
  // The daemon tells us after every event it handled, so the status watcher is not needed (watchMs 0).
  // the API sees the engine only through this narrow view (status, login check, FreeSWITCH link) and feed
  const engine = engineViewOf(daemon)
  const live = daemonLive(engine, changes, { watchMs: 0 })
  // a new or renumbered queue: a test call through FreeSWITCH's dialplan, as `koplus doctor` makes (issue 15)
  live.routeCheck = async (number) => {
    const { checkQueueRouting } = await import('../doctor/index.js')
    // the switch the daemon really talks to (under --simulate, the built-in simulator, not the configured address)
    const address = engine.freeswitch()?.address ?? ''
    const at = address.lastIndexOf(':')
    const host = address.slice(0, at).replace(/^\[|\]$/g, '')
    const port = Number(address.slice(at + 1))
    return checkQueueRouting({
      host,
      port,
      password: config.freeswitch.password,
      number,
      contexts: [config.freeswitch.transferContext],
    })
  }
  const metrics = new KoplusMetrics({ defaultMetrics: true })
  metrics.bindSource({
    // counts only: a scrape does not build the list of every waiting caller (issue 13)
    status: () => engine.status({ callers: false }),
    eslConnected: () => engine.freeswitch()?.connected ?? false,
    freeswitchNodes: () => engine.freeswitch()?.nodes ?? [],
    queuesOpen: () => queuesOpenAt(daemon.store, daemon.clock.now()),
    leading: () => !daemon.leadership || daemon.leadership.role === 'leader',
    store: () => daemon.store.health(),
  })
  // Live stream and metrics follow every engine decision. Notifications are coalesced to one per turn of the
  // event loop, so a burst of ESL events costs one status snapshot per listener, not one per event.
  let notifyQueued = false
  const offHandled = daemon.onHandled((event, commands, now, tookMs) => {
    metrics.observeEvent(event, now, now - tookMs)
    metrics.observeCommands(commands, now)
    if (event.type === 'timer' && commands.length === 0) return
    if (!notifyQueued && changes.size > 0) {
      notifyQueued = true
      setImmediate(() => {
        notifyQueued = false
        changes.notify()
      })
    }
  })
  const server = await startApiServer({
    store: daemon.store,
    live,
    notLeader: () => notLeaderMessage(daemon),
    now: () => daemon.clock.now(),
    host: config.api.host,
    port: config.api.port,
    promptDir: config.recordings.dir,
    logger: logger.child({ module: 'api' }),
    metrics,
    metricsToken,
    secure: opts.secure,
    clientAddressHeader: config.api.clientAddressHeader,
    trustedProxies: config.api.trustedProxies,
  })
  mountWeb(server.server) // the web admin, agent page and wallboard (src/api/static.ts) beside the API
  // Expired web sessions are deleted hourly (and once at start), so the table does not grow without bound.
  const purge = async (): Promise<void> => {
    try {
      const n = await daemon.store.accounts.purgeSessions(daemon.clock.now())
      if (n > 0) logger.debug({ sessions: n }, 'expired web sessions purged')
    } catch (err) {
      logger.warn({ err }, 'purging expired web sessions failed')
    }
  }
  await purge()
  const purgeTimer = setInterval(() => void purge(), 3600_000)
  purgeTimer.unref()
  const tokenPath = await writeCliToken(daemon.store, dataDirOf(config))
  logger.info({ path: tokenPath }, 'CLI token written')
  return {
    url: server.url,
    server,
    metrics,
    changes,
    tokenPath,
    close: async () => {
      clearInterval(purgeTimer)
      offHandled()
      live.stop()
      await server.close()
    },
  }
}
