/**
 * Building a daemon from the config: the config → DaemonSettings mapping and startDaemon, which turns a database
 * path that cannot work into a StartupError naming the key. Used by runDaemonCommand (./index.ts) and by the
 * simulation (./simulate.ts); it imports neither, so the two do not import each other.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/index.js'
import { KoplusError } from '../errors.js'
import { StoreError } from '../store/errors.js'
import { startDaemon as startWithSettings, type Daemon, type DaemonOptions, type DaemonSettings } from './daemon.js'

/** The daemon's settings from the loaded config file. */
export function settingsFromConfig(config: Config): DaemonSettings {
  const gw = config.devices.mobileGateway
  const tpl = (s: string) => s.replaceAll('${gateway}', gw)
  return {
    databasePath: config.database.path,
    database: { synchronous: config.database.synchronous, cacheMb: config.database.cacheMb },
    freeswitch: {
      host: config.freeswitch.host,
      port: config.freeswitch.port,
      password: config.freeswitch.password,
      transferContext: config.freeswitch.transferContext,
      idleProbeMs: config.freeswitch.idleProbeSeconds * 1000,
      idleProbeTimeoutMs: config.freeswitch.idleProbeTimeoutSeconds * 1000,
      ...(config.freeswitch.nodes ? { nodes: config.freeswitch.nodes } : {}),
      interNodeDialString: config.freeswitch.interNodeDialString,
      nodeLostAfterMs: config.freeswitch.nodeLostSeconds * 1000,
    },
    soundsDir: config.sounds.dir,
    recordingsDir: config.recordings.dir,
    dialTemplates: {
      softphone: tpl(config.devices.softphone),
      deskphone: tpl(config.devices.deskphone),
      mobile: tpl(config.devices.mobile),
    },
    featureCodes: config.featureCodes,
    unknownQueueAction: config.calls.unknownQueueAction,
    callbackDialString: tpl(config.callback.dialString),
    // database.url: all the daemon's data on PostgreSQL (database.path is then not used), and two or more daemons
    // on it: one leads (./leadership.ts, on a connection of its own). KOPLUS_NODE_ID names this one.
    ...(config.database.url !== null
      ? {
          databaseUrl: config.database.url,
          leadership: { url: config.database.url, nodeId: nodeIdOf(process.env) },
        }
      : {}),
  }
}

/** This daemon's name among several: KOPLUS_NODE_ID, else host:pid. */
export function nodeIdOf(env: NodeJS.ProcessEnv): string {
  const id = env.KOPLUS_NODE_ID?.trim()
  return id ? id : `${hostname()}:${process.pid}`
}

function isConfig(c: Config | DaemonSettings): c is Config {
  return 'database' in c
}

/**
 * Starts the daemon from the loaded Config (or ready-made DaemonSettings). See ./daemon.ts for the Daemon interface.
 * The database directory is created if missing (0700, the file 0600: src/store/files.ts). A database path that
 * cannot work throws StartupError naming database.path.
 */
export async function startDaemon(config: Config | DaemonSettings, opts: DaemonOptions = {}): Promise<Daemon> {
  const settings = isConfig(config) ? settingsFromConfig(config) : config
  try {
    return await startWithSettings(settings, opts)
  } catch (err) {
    if (err instanceof StoreError && err.code === 'KOPLUS_STORE_FILE')
      throw new StartupError('database.path', err.message, { cause: err })
    throw err
  }
}

/** The daemon cannot start with this configuration; the message is one line naming the key, e.g. `api.port: …`. */
export class StartupError extends KoplusError {
  override readonly name = 'StartupError'
  declare readonly code: 'KOPLUS_STARTUP_FAILED'
  constructor(
    readonly key: string,
    problem: string,
    opts?: { cause?: unknown },
  ) {
    super('KOPLUS_STARTUP_FAILED', `${key}: ${problem}`, opts)
  }
}
