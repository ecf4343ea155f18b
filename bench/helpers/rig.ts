/**
 * The end-to-end benchmark rig: a temp SQLite file seeded with one queue (5000) and N agents (2001, 2002, …, all
 * logged in), the FreeSWITCH simulator on 127.0.0.1:<port 0> with the agents' phones registered, and the real koplus
 * daemon in a child process (./daemon-child.ts) connected to it over TCP. Everything is loopback and bounded;
 * `stop()` ends the child and the simulator and removes the temp directory.
 *
 * The simulator side is observed by ./sim-probe.ts (event send times, originate / command arrival times).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { QueueSettings } from '../../src/core/model.js'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import type { EndpointBehaviour } from '../../src/simulator/endpoints.js'
import { Store } from '../../src/store/index.js'
import type { ChildSettings, ChildStats, OfferProbe } from './daemon-child.js'
import { epochMs } from './clock.js'
import { SimProbe } from './sim-probe.js'
import { PrivatePostgres, postgresUnavailable } from './private-postgres.js'

/** The queue's settings in every benchmark unless overridden: no spoken prompts, so the offer is made at entry. */
export const BENCH_QUEUE: Partial<QueueSettings> = {
  strategy: 'longest-idle',
  ringTimeSec: 30,
  wrapUpSec: 0,
  autoLogoutAfter: 0,
  welcomePrompt: '',
  firstMessagePrompt: '',
  periodicPrompt: '',
  announcePosition: false,
  announceWait: false,
  maxWaitSec: 0,
}

export interface RigOptions {
  agents: number
  queue?: Partial<QueueSettings>
  /** Every agent's phone, until changed with `rig.sim.endpoint(ext, …)`. */
  phone: EndpointBehaviour
  /** Where sounds/ is (music on hold is read by the simulator for its duration). Default: ./sounds under cwd. */
  soundsDir?: string
  /** Also serve the daemon's HTTP API (see ChildSettings.api); its URL is `rig.apiUrl`. */
  api?: ChildSettings['api']
  /** The simulator's Event Socket delivery rule (SimulatorOptions.eslPollMs; default 0: at once; FreeSWITCH: 20). */
  eslPollMs?: number
  /** The daemon's ESL LF wake-up interval (ChildSettings.wakeupMs; default: the client's). */
  wakeupMs?: number
  /** Keep offer probes in the daemon for `offerProbes()` (default true; off for a bench that never reads them). */
  probes?: boolean
}

/** Extension of agent i (0-based). */
export const agentExtension = (i: number): string => String(2001 + i)

/** A running rig. */
export class BenchRig {
  private constructor(
    readonly sim: FreeSwitchSimulator,
    readonly probe: SimProbe,
    /** The daemon process (a new one after `restart()`). */
    public child: ChildProcess,
    readonly dir: string,
    /** agent id → extension */
    readonly extensionOf: Map<string, string>,
  ) {}

  /** Seeds the store, starts the simulator and the daemon process, and waits for the daemon's first rebuild. */
  static async start(opts: RigOptions): Promise<BenchRig> {
    const soundsDir = opts.soundsDir ?? join(process.cwd(), 'sounds')
    if (!existsSync(join(soundsDir, 'sv', 'moh.wav')))
      throw new Error(`no sounds at ${soundsDir}: run from the repository root`)
    // BENCH_DB_DIR=<dir> puts the SQLite file elsewhere (e.g. /dev/shm, to take the disk out of the figures).
    const dir = mkdtempSync(join(process.env.BENCH_DB_DIR ?? tmpdir(), 'koplus-bench-'))
    const databasePath = join(dir, 'koplus.sqlite')
    // BENCH_STORE=postgres: the daemon's store on a private PostgreSQL of this rig (database.url), not SQLite.
    const pg = process.env.BENCH_STORE === 'postgres' ? await privatePostgres() : undefined
    const databaseUrl = pg ? await pg.createDatabase('koplus') : undefined
    const extensionOf = new Map<string, string>()
    const seed = await Store.open(databaseUrl ?? databasePath)
    try {
      const q = await seed.queues.create({
        number: '5000',
        name: 'Bench',
        settings: { ...BENCH_QUEUE, ...(opts.queue ?? {}) },
      })
      const now = Date.now()
      for (let i = 0; i < opts.agents; i++) {
        const ext = agentExtension(i)
        const a = await seed.agents.create({ extension: ext, name: `Agent ${ext}`, plan: 'pro' })
        await seed.memberships.add(a.id, q.id)
        await seed.sessions.login(a.id, q.id, now - 600_000 + i * 10)
        extensionOf.set(a.id, ext)
      }
    } finally {
      await seed.close()
    }

    const sim = new FreeSwitchSimulator({ sipDomain: 'default', eslPollMs: opts.eslPollMs ?? 0 })
    const port = await sim.listen(0, '127.0.0.1')
    for (let i = 0; i < opts.agents; i++) sim.endpoint(agentExtension(i), { registered: true, ...opts.phone })

    const settings: ChildSettings = {
      databasePath,
      ...(databaseUrl ? { databaseUrl } : {}),
      port,
      soundsDir,
      ...(opts.api ? { api: opts.api } : {}),
      ...(opts.wakeupMs !== undefined ? { wakeupMs: opts.wakeupMs } : {}),
      ...(opts.probes === false ? { probes: false } : {}),
    }
    let child: ChildProcess
    let apiUrl: string | undefined
    try {
      ;({ child, apiUrl } = await spawnDaemonChild(settings))
    } catch (err) {
      await sim.close()
      await pg?.destroy()
      rmSync(dir, { recursive: true, force: true })
      throw err
    }
    // Attached after the daemon's connection, so its listener runs after the ESL server wrote each event.
    const probe = new SimProbe(sim)
    const rig = new BenchRig(sim, probe, child, dir, extensionOf)
    rig.#settings = settings
    rig.#pg = pg
    rig.apiUrl = apiUrl
    await rig.#calibrate()
    return rig
  }

  #settings: ChildSettings | undefined
  #pg: PrivatePostgres | undefined

  /** The store the daemon runs on: 'sqlite', or 'postgres' with BENCH_STORE=postgres. */
  get store(): 'sqlite' | 'postgres' {
    return this.#pg ? 'postgres' : 'sqlite'
  }

  /** The simulator's Event Socket port on 127.0.0.1. */
  get eslPort(): number {
    return this.#settings!.port
  }

  /**
   * Kills the daemon process (SIGKILL: nothing written at exit; FreeSWITCH keeps the calls) and starts a new one on
   * the same database (issue 13, recovery). Returns ms from the new process's spawn and from its ESL connection
   * being accepted to its first rebuild done ('ready').
   */
  async restart(): Promise<{
    spawnToReadyMs: number
    connectToReadyMs: number
    /** The same two spans ending when the daemon's rebuild was done by its own clock (moved onto ours). */
    spawnToDoneMs: number
    connectToDoneMs: number
  }> {
    const old = this.child
    if (old.exitCode === null) {
      const exited = new Promise<void>((resolve) => old.once('exit', () => resolve()))
      old.kill('SIGKILL')
      await exited
    }
    await this.sim.waitFor(() => this.sim.connectionCount === 0, 5000, 'the old ESL connection closed')
    let connectedAt = NaN
    let connectedAtEpoch = NaN
    const poll = setInterval(() => {
      if (Number.isNaN(connectedAt) && this.sim.connectionCount > 0) {
        connectedAt = performance.now()
        connectedAtEpoch = epochMs()
      }
    }, 1)
    const spawned = performance.now()
    const spawnedEpoch = epochMs()
    try {
      const { child, apiUrl, doneAt } = await spawnDaemonChild(this.#settings!)
      const ready = performance.now()
      this.child = child
      this.apiUrl = apiUrl
      await this.#calibrate()
      // This process also runs the simulator: busy with the commands of the rebuild, it may read the 'ready'
      // message late. The daemon's own time of the end of the rebuild does not wait for that.
      const done = doneAt === undefined ? NaN : doneAt - this.clockOffsetMs
      return {
        spawnToReadyMs: ready - spawned,
        connectToReadyMs: ready - connectedAt,
        spawnToDoneMs: done - spawnedEpoch,
        connectToDoneMs: done - connectedAtEpoch,
      }
    } finally {
      clearInterval(poll)
    }
  }

  /** The daemon's HTTP API (with RigOptions.api). */
  apiUrl: string | undefined

  /** Child epoch-ms minus ours (estimated over IPC round trips; subtract it from the child's timestamps). */
  clockOffsetMs = 0
  /** Half the best IPC round trip: the bound on the offset's error (ms). */
  clockErrorMs = 0

  async #calibrate(): Promise<void> {
    let best = Infinity
    for (let i = 0; i < 40; i++) {
      const t0 = epochMs()
      const childNow = await this.#request<number>('clock', 'now')
      const t1 = epochMs()
      if (t1 - t0 < best) {
        best = t1 - t0
        this.clockOffsetMs = childNow - (t0 + t1) / 2
      }
    }
    this.clockErrorMs = best / 2
  }

  #request<T>(type: string, key: string, extra: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} reply from the daemon`)), timeoutMs)
      const on = (m: Record<string, unknown>): void => {
        if (m.type !== type) return
        this.child.off('message', on)
        clearTimeout(timer)
        resolve(m[key] as T)
      }
      this.child.on('message', on)
      this.child.send({ type, ...extra })
    })
  }

  /**
   * The daemon process's CPU, memory, event loop and engine counters. `{ gc: true }`: memory sampled after a full
   * collection in the daemon (what is live, not what the last scavenge left).
   */
  stats(opts: { gc?: boolean } = {}): Promise<ChildStats> {
    return this.#request<ChildStats>('stats', 'stats', opts.gc ? { gc: true } : {})
  }

  /**
   * Starts V8's sampling heap profiler in the daemon: every allocation counted, collected or not; `survivors`: only
   * what outlived a scavenge (the promotion that drives mark-compacts).
   */
  allocStart(opts: { survivors?: boolean } = {}): Promise<boolean> {
    return this.#request<boolean>('alloc-start', 'ok', opts.survivors ? { survivors: true } : {})
  }

  /** Stops it and writes the profile (.heapprofile JSON) to `path`; see ./alloc-profile.ts. */
  allocStop(path: string): Promise<string> {
    return this.#request<string>('alloc-stop', 'path', { path }, 60_000)
  }

  /** Starts V8's CPU profiler in the daemon (250 µs samples, waits marked idle); see ./long-turns.ts. */
  cpuStart(): Promise<boolean> {
    return this.#request<boolean>('cpu-start', 'ok', {})
  }

  /** Stops it and writes the profile (.cpuprofile JSON) to `path`. */
  cpuStop(path: string): Promise<string> {
    return this.#request<string>('cpu-stop', 'path', { path }, 60_000)
  }

  /** Writes a heap snapshot of the daemon process (after a collection) into `dir`; returns its path. */
  heapSnapshot(dir: string, label: string): Promise<string> {
    return this.#request<string>('heap-snapshot', 'path', { dir, label }, 300_000)
  }

  /**
   * The engine steps that made offers since the last call (drained), with their epoch times moved onto this
   * process's clock (clockOffsetMs).
   */
  async offerProbes(): Promise<OfferProbe[]> {
    const list = await this.#request<OfferProbe[]>('probes', 'probes')
    const d = this.clockOffsetMs
    return list.map((p) => ({
      ...p,
      start: p.start - d,
      end: p.end - d,
      ...(p.afterSync !== undefined ? { afterSync: p.afterSync - d } : {}),
      ...(p.scheduledAt !== undefined ? { scheduledAt: p.scheduledAt - d } : {}),
    }))
  }

  /** Resets the daemon's counters (engine counts, event-loop figures). */
  async reset(): Promise<void> {
    await this.#request<unknown>('reset', 'type')
  }

  /** Stops the daemon process, then the simulator; removes the temp directory. */
  async stop(): Promise<void> {
    this.probe.detach()
    if (this.child.exitCode === null && this.child.connected) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
      this.child.send({ type: 'stop' })
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await this.sim.close()
    await this.#pg?.destroy()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A private PostgreSQL for one rig (BENCH_STORE=postgres); stopped and removed with it. */
async function privatePostgres(): Promise<PrivatePostgres> {
  const missing = postgresUnavailable()
  if (missing) throw new Error(`BENCH_STORE=postgres: ${missing}`)
  const pg = new PrivatePostgres()
  await pg.init()
  await pg.start()
  return pg
}

/** Starts ./daemon-child.js with `settings` and waits for its 'ready' (first rebuild done). */
async function spawnDaemonChild(
  settings: ChildSettings,
): Promise<{ child: ChildProcess; apiUrl: string | undefined; doneAt: number | undefined }> {
  let apiUrl: string | undefined
  let doneAt: number | undefined
  const childPath = fileURLToPath(new URL('./daemon-child.js', import.meta.url))
  // BENCH_CPU_PROF=<dir>: the daemon process writes a V8 CPU profile there when it stops.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []
  // BENCH_DAEMON_NODE_FLAGS='--max-semi-space-size=64 …': V8/Node flags for the daemon process (e.g. GC settings).
  const flags = (process.env.BENCH_DAEMON_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean)
  // --expose-gc: `stats({ gc: true })` samples memory after a full collection; nothing collects unless asked.
  const args = ['--expose-gc', ...flags, ...prof, childPath, JSON.stringify(settings)]
  // BENCH_DAEMON_CPUS=1: the daemon process on those CPUs only (taskset), e.g. with the bench itself on the others
  // (`taskset -c 0 npm run bench …`): FreeSWITCH not beside the daemon, as in production.
  const cpus = process.env.BENCH_DAEMON_CPUS
  const child = cpus
    ? spawn('taskset', ['-c', cpus, process.execPath, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the daemon did not get ready within 20 s')), 20_000)
      child.once('exit', (code) => reject(new Error(`the daemon exited (${code}) before it was ready`)))
      child.on('message', (m: { type: string; apiUrl?: string; doneAt?: number }) => {
        if (m.type === 'ready') {
          apiUrl = m.apiUrl
          doneAt = m.doneAt
          clearTimeout(timer)
          resolve()
        }
      })
    })
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return { child, apiUrl, doneAt }
}

/** Resolves after `ms` of real time. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
