/**
 * `koplus daemon`: load the config, start the daemon (or, with --simulate, the daemon against the built-in
 * simulator with a demo call centre), log with pino, stop cleanly on SIGTERM/SIGINT.
 *
 * For the CLI (src/cli): `await runDaemonCommand({ configPath, simulate, startApi })` from the `daemon` command.
 * For the API: see the interface documented in ./daemon.ts (startDaemon, Daemon).
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import pino, { type Logger } from 'pino'
import pretty from 'pino-pretty'
import { CONFIG_REDACT_PATHS, loadConfig, redactConfig, type Config } from '../config/index.js'
import { startDaemon as startWithSettings, type Daemon, type DaemonOptions, type DaemonSettings } from './daemon.js'

export { type Daemon, type DaemonOptions, type DaemonSettings, type FreeSwitchState } from './daemon.js'

/** The daemon's settings from the loaded config file. */
export function settingsFromConfig(config: Config): DaemonSettings {
  const gw = config.devices.mobileGateway
  const tpl = (s: string) => s.replaceAll('${gateway}', gw)
  return {
    databasePath: config.database.path,
    freeswitch: { host: config.freeswitch.host, port: config.freeswitch.port, password: config.freeswitch.password, transferContext: config.freeswitch.transferContext },
    soundsDir: config.sounds.dir,
    recordingsDir: config.recordings.dir,
    dialTemplates: { softphone: tpl(config.devices.softphone), deskphone: tpl(config.devices.deskphone), mobile: tpl(config.devices.mobile) },
    featureCodes: config.featureCodes,
    unknownQueueAction: config.calls.unknownQueueAction,
  }
}

function isConfig(c: Config | DaemonSettings): c is Config {
  return 'database' in c
}

/**
 * Starts the daemon from the loaded Config (or ready-made DaemonSettings). See ./daemon.ts for the Daemon interface.
 * The database directory is created if missing.
 */
export async function startDaemon(config: Config | DaemonSettings, opts: DaemonOptions = {}): Promise<Daemon> {
  const settings = isConfig(config) ? settingsFromConfig(config) : config
  if (!opts.store && settings.databasePath !== ':memory:') mkdirSync(dirname(settings.databasePath), { recursive: true })
  return startWithSettings(settings, opts)
}

/** The root logger: JSON lines, or pretty on a terminal (pino-pretty); the ESL password is redacted. */
export function createLogger(level: string, opts: { pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const dest = opts.destination ?? process.stdout
  const usePretty = opts.pretty ?? (dest as NodeJS.WriteStream).isTTY === true
  const options: pino.LoggerOptions = { level, redact: { paths: [...CONFIG_REDACT_PATHS], censor: '[redacted]' }, base: { name: 'koplus' } }
  if (usePretty) return pino(options, pretty({ colorize: true, sync: true, destination: dest as NodeJS.WriteStream, ignore: 'pid,hostname,name' }))
  return pino(options, dest as pino.DestinationStream)
}

/** A started control API (returned by RunDaemonOptions.startApi). */
export interface StartedApi {
  url: string
  close(): Promise<void>
}

export interface RunDaemonOptions {
  /** --config PATH (else KOPLUS_CONFIG, else defaults + environment). */
  configPath?: string
  /** --simulate: run against the in-process FreeSWITCH simulator with a demo call centre and generated traffic. */
  simulate?: boolean
  /** Environment (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Logger (default: createLogger(config.log.level)). */
  logger?: Logger
  /**
   * Starts the control API for the running daemon (the API/CLI helper passes e.g.
   * `(daemon, config, logger) => startApiServer({ backend: createDaemonBackend(daemon), host: config.api.host, ... })`).
   */
  startApi?: (daemon: Daemon, config: Config, logger: Logger) => Promise<StartedApi>
  /** Install SIGTERM/SIGINT handlers that stop the daemon and exit (default true). */
  handleSignals?: boolean
}

/** What runDaemonCommand started. */
export interface RunningDaemon {
  daemon: Daemon
  config: Config
  api?: StartedApi
  /** Stops the API, the traffic generator and simulator (if any), then the daemon. */
  stop(): Promise<void>
}

/**
 * `koplus daemon [--config PATH] [--simulate]`. Throws ConfigError (message names the key and the problem) on an
 * invalid config; the CLI prints it and exits non-zero.
 */
export async function runDaemonCommand(opts: RunDaemonOptions = {}): Promise<RunningDaemon> {
  const config = loadConfig({ ...(opts.configPath !== undefined ? { argvPath: opts.configPath } : {}), ...(opts.env ? { env: opts.env } : {}) })
  const log = opts.logger ?? createLogger(config.log.level)
  log.info({ config: redactConfig(config) }, 'koplus daemon starting')

  let daemon: Daemon
  let stopSim: (() => Promise<void>) | undefined
  if (opts.simulate) {
    const { startSimulation } = await import('./simulate.js')
    const sim = await startSimulation(config, log)
    daemon = sim.daemon
    stopSim = sim.stop
  } else {
    daemon = await startDaemon(config, { logger: log })
  }
  const api = opts.startApi ? await opts.startApi(daemon, config, log) : undefined

  // The clock's timers are unref'd and the ESL socket comes and goes: keep the process alive until stop().
  const keepAlive = setInterval(() => undefined, 1 << 30)
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(keepAlive)
      try {
        await api?.close()
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'closing the API failed')
      }
      if (stopSim) await stopSim()
      else await daemon.stop()
    })())

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
  return { daemon, config, ...(api ? { api } : {}), stop }
}
