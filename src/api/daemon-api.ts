/**
 * Wiring the API to a running daemon: `startDaemonApi` is what `koplus daemon` passes to runDaemonCommand as
 * `startApi`. It starts the HTTP server on config.api.host:port with the web pages mounted, binds the Prometheus metrics to the daemon's status
 * and ESL state, and writes the CLI's local operator token to <data dir>/cli-token (0600).
 */
import { dataDirOf } from './data-dir.js'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import type { Daemon } from '../daemon/index.js'
import { writeCliToken } from './cli-token.js'
import { ChangeNotifier, daemonLive } from './live.js'
import { KoplusMetrics } from './metrics.js'
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

export async function startDaemonApi(daemon: Daemon, config: Config, logger: Logger, opts: { secure?: boolean } = {}): Promise<DaemonApi> {
  const changes = new ChangeNotifier()
  // The daemon tells us after every event it handled, so the status watcher is not needed (watchMs 0).
  const live = daemonLive(daemon, changes, { watchMs: 0 })
  const metrics = new KoplusMetrics({ defaultMetrics: true })
  metrics.bindSource({ status: () => daemon.status(), eslConnected: () => daemon.freeswitch.connected })
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
    now: () => daemon.clock.now(),
    host: config.api.host,
    port: config.api.port,
    promptDir: config.recordings.dir,
    logger: logger.child({ component: 'api' }),
    metrics,
    secure: opts.secure,
    clientAddressHeader: config.api.clientAddressHeader,
    trustedProxies: config.api.trustedProxies,
  })
  mountWeb(server.server) // the web admin, agent page and wallboard (src/api/static.ts) beside the API
  // Expired web sessions are deleted hourly (and once at start), so the table does not grow without bound.
  const purge = (): void => {
    try {
      const n = daemon.store.accounts.purgeSessions(daemon.clock.now())
      if (n > 0) logger.debug({ sessions: n }, 'expired web sessions purged')
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'purging expired web sessions failed')
    }
  }
  purge()
  const purgeTimer = setInterval(purge, 3600_000)
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
