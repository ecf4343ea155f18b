/**
 * `koplus daemon`: the one wiring point. From the config it builds everything in one place, in this order: the
 * store and the engine (./start.ts, ./daemon.ts), the control API (src/api/daemon-api.ts), then the FreeSWITCH
 * connection; it logs with pino and stops cleanly on SIGTERM/SIGINT. With --simulate it first starts the built-in
 * simulator and points the config at it (./simulate.ts prepareSimulation); the rest is the same.
 *
 * For the CLI (src/cli): `await runDaemonCommand({ configPath, simulate })` from the `daemon` command.
 * For the API: see the interface documented in ./daemon.ts (startDaemon, Daemon).
 */
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'
import { startDaemonApi } from '../api/daemon-api.js'
import { CONFIG_REDACT_PATHS, loadConfig, redactConfig, type Config, type LogFormat } from '../config/index.js'
import { dataDirOf, SIMULATE_DB_FILE } from '../config/data-dir.js'
import { removeRuntimeInfo, writeRuntimeInfo } from '../config/runtime-file.js'
import { ensureDir } from '../store/files.js'
import { redactUrl } from '../store/pg/pg-db.js'
import type { FreeSwitchSimulator } from '../simulator/simulator.js'
import type { Daemon } from './daemon.js'
import { prepareSimulation, type SimulatedWorld, type SimulationOptions } from './simulate.js'
import { advertisedApi } from './leadership.js'
import { nodeIdOf, StartupError, startDaemon } from './start.js'

export { type Daemon, type DaemonOptions, type DaemonSettings, type FreeSwitchState } from './daemon.js'
export { settingsFromConfig, startDaemon, StartupError } from './start.js'

/** One clear line for a control API that cannot listen (the Node error says "listen EADDRINUSE: …"). */
function apiListenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code
  const at = `${host}:${port}`
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(
        'api.port',
        `${at} is already in use (another koplus daemon, or another program listening there?)`,
        { cause: err },
      )
    case 'EACCES':
      return new StartupError('api.port', `no permission to listen on ${at} (ports below 1024 need privileges)`, {
        cause: err,
      })
    case 'EADDRNOTAVAIL':
      return new StartupError('api.host', `${host} is not an address of this machine`, { cause: err })
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError('api.host', `cannot resolve ${host}`, { cause: err })
    default:
      return err instanceof Error ? err : new Error(String(err))
  }
}

/**
 * The root logger: JSON lines, or pretty on a terminal (pino-pretty); the ESL password is redacted.
 * `format` (config log.format): 'auto' (default) is pretty only when the destination is a TTY; 'json' and 'pretty'
 * force one. `pretty`, if given, wins (tests).
 */
export function createLogger(
  level: string,
  opts: { pretty?: boolean; format?: LogFormat; destination?: NodeJS.WritableStream } = {},
): Logger {
  const dest = opts.destination ?? process.stdout
  const format = opts.format ?? 'auto'
  const usePretty =
    opts.pretty ?? (format === 'auto' ? (dest as NodeJS.WriteStream).isTTY === true : format === 'pretty')
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: [...CONFIG_REDACT_PATHS], censor: '[redacted]' },
    base: { name: 'koplus' },
  }
  if (usePretty)
    return pino(
      options,
      pretty({ colorize: true, sync: true, destination: dest as NodeJS.WriteStream, ignore: 'pid,hostname,name' }),
    )
  return pino(options, dest as pino.DestinationStream)
}

/** A started control API (returned by RunDaemonOptions.startApi). */
interface StartedApi {
  url: string
  close(): Promise<void>
}

interface RunDaemonOptions {
  /** --config PATH (else KOPLUS_CONFIG, else defaults + environment). */
  configPath?: string
  /** --simulate: run against the in-process FreeSWITCH simulator with a demo call centre and generated traffic. */
  simulate?: boolean
  /** With simulate: delete the demo database (<data dir>/simulate.sqlite) and seed the demo again. */
  fresh?: boolean
  /** With simulate: clock, random source and traffic of the simulation (tests). */
  simulation?: Pick<SimulationOptions, 'clock' | 'random' | 'traffic'>
  /** Environment (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Logger (default: createLogger(config.log.level, { format: config.log.format })). */
  logger?: Logger
  /** Starts the control API for the running daemon (default: src/api/daemon-api.ts startDaemonApi; tests pass their own). */
  startApi?: (daemon: Daemon, config: Config, logger: Logger) => Promise<StartedApi>
  /** Install SIGTERM/SIGINT handlers that stop the daemon and exit (default true). */
  handleSignals?: boolean
}

/** What runDaemonCommand started. */
export interface RunningDaemon {
  daemon: Daemon
  config: Config
  api?: StartedApi
  /** The built-in simulator (with simulate). */
  simulator?: FreeSwitchSimulator
  /** Stops the API, the traffic generator and simulator (if any), then the daemon. */
  stop(): Promise<void>
}

/**
 * `koplus daemon [--config PATH] [--simulate]`. Throws ConfigError (message names the key and the problem) on an
 * invalid config, StartupError on a database path that cannot work or an API port that cannot be bound; the CLI
 * prints the message and exits non-zero.
 *
 * Start-up order: open the store, bind the API port, then connect to FreeSWITCH. So a port conflict (e.g. a second
 * daemon started by mistake) fails at once, before anything is sent to FreeSWITCH or the ESL connect timeout runs.
 */
export async function runDaemonCommand(opts: RunDaemonOptions = {}): Promise<RunningDaemon> {
  const loaded = loadConfig({
    ...(opts.configPath !== undefined ? { argvPath: opts.configPath } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  })
  const dataDir = dataDirOf(loaded)
  // The simulation keeps its demo in a file of its own beside the real database; the log says which file is used.
  const wanted: Config = opts.simulate
    ? { ...loaded, database: { ...loaded.database, path: join(dataDir, SIMULATE_DB_FILE) } }
    : loaded
  const log = opts.logger ?? createLogger(wanted.log.level, { format: wanted.log.format })
  const logged = opts.simulate
    ? {
        ...redactConfig(wanted),
        freeswitch:
          'the built-in simulator on 127.0.0.1 (not freeswitch.host/port; its port is logged when it listens)',
      }
    : redactConfig(wanted)
  log.info(
    { config: logged, ...(opts.simulate ? { simulate: true, fresh: !!opts.fresh } : {}) },
    opts.simulate ? 'koplus daemon starting against the built-in FreeSWITCH simulator' : 'koplus daemon starting',
  )

  // A daemon of a pair tells the others where its API is; refuse now what would leave them unable to forward to it.
  const advertised =
    wanted.database.url === null
      ? undefined
      : advertisedApi({
          nodeId: nodeIdOf(process.env),
          advertiseUrl: wanted.api.advertiseUrl,
          host: wanted.api.host,
          listening: `http://${wanted.api.host.includes(':') ? `[${wanted.api.host}]` : wanted.api.host}:${wanted.api.port || 65535}`,
        })
  if (advertised && 'problem' in advertised) throw new StartupError(advertised.key, advertised.problem)

  // --simulate adds a simulator and points the config at it; everything else is built the same way.
  let world: SimulatedWorld | undefined
  if (opts.simulate) {
    ensureDir(dataDir)
    world = await prepareSimulation(wanted, log, {
      ...opts.simulation,
      databasePath: wanted.database.path,
      fresh: !!opts.fresh,
    })
  }
  const config = world?.config ?? wanted
  let daemon: Daemon
  /** The stop function, made below (a fenced leader stops through it). */
  const stopRef: { current?: () => Promise<void> } = {}
  try {
    // A leader that lost PostgreSQL has already stopped commanding; it exits (code 3) so that its supervisor
    // (systemd Restart=always) starts it again as a standby with a clean slate (docs/scale-out.md).
    const onFenced = (reason: string): void => {
      log.fatal({ reason }, 'fenced: no longer the leader; stopping so that this daemon restarts as a standby')
      void stopRef.current?.().finally(() => {
        if (opts.handleSignals !== false) process.exit(3)
      })
    }
    daemon = await startDaemon(config, {
      logger: log,
      connect: false,
      onFenced,
      ...(world ? { clock: world.clock, store: world.store } : {}),
    })
  } catch (err) {
    await world?.close()
    throw err
  }
  let api: StartedApi | undefined
  try {
    api = await (opts.startApi ?? startDaemonApi)(daemon, config, log)
  } catch (err) {
    // Nothing may stay behind: the store is closed, no ESL connection is made, the simulator is stopped.
    await daemon.stop().catch((e: unknown) => log.warn({ err: e }, 'stopping after a failed start failed'))
    await world
      ?.close()
      .catch((e: unknown) => log.warn({ err: e }, 'stopping the simulator after a failed start failed'))
    throw apiListenError(err, config.api.host, config.api.port)
  }
  if (daemon.leadership && api) daemon.leadership.apiUrl = config.api.advertiseUrl ?? api.url
  daemon.connectFreeSwitch()
  let stopTraffic: (() => void) | undefined
  if (world) {
    await daemon.whenRebuilt()
    stopTraffic = world.startTraffic()
  }
  const fsAddress = { host: config.freeswitch.host, port: config.freeswitch.port }
  try {
    const path = writeRuntimeInfo(dataDir, {
      pid: process.pid,
      ...(api ? { api: api.url } : {}),
      freeswitch: { ...fsAddress, simulated: !!opts.simulate },
      // where the data is: the SQLite file, or the PostgreSQL URL without its password
      database: config.database.url !== null && !world ? redactUrl(config.database.url) : config.database.path,
      startedAt: Date.now(),
    })
    log.debug({ path }, 'runtime file written (the CLI and doctor read it)')
  } catch (err) {
    log.warn(
      { err },
      'cannot write the runtime file daemon.json: the CLI needs --api, and doctor does not find the simulator',
    )
  }

  // The clock's timers are unref'd and the ESL socket comes and goes: keep the process alive until stop().
  const keepAlive = setInterval(() => undefined, 1 << 30)
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(keepAlive)
      try {
        removeRuntimeInfo(dataDir)
      } catch (err) {
        log.warn({ err }, 'removing the runtime file daemon.json failed')
      }
      try {
        await api?.close()
      } catch (err) {
        log.warn({ err }, 'closing the API failed')
      }
      stopTraffic?.()
      await daemon.stop()
      await world?.close()
    })())

  stopRef.current = stop
  if (opts.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping (live calls stay in FreeSWITCH)')
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'error while stopping')
          process.exit(1)
        },
      )
    }
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  }
  return { daemon, config, ...(api ? { api } : {}), ...(world ? { simulator: world.simulator } : {}), stop }
}
