/**
 * `koplus daemon` is one wiring point (issue 11 item 3): runDaemonCommand builds store, engine and the control API
 * itself from the config (the CLI passes no API starter), and --simulate only adds a simulator and points the config
 * at it: the daemon then talks to it as to any FreeSWITCH, and daemon.json says where both are.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { CLI_TOKEN_FILE } from '../../src/config/data-dir.js'
import { readRuntimeInfo } from '../../src/config/runtime-file.js'
import { runDaemonCommand } from '../../src/daemon/index.js'

t.test(
  '--simulate: the config points at the simulator, the daemon starts its own API, daemon.json says so',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'koplus-wiring-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const env = { KOPLUS_DATABASE_PATH: join(dir, 'koplus.sqlite'), KOPLUS_API_PORT: '0', KOPLUS_FREESWITCH_PORT: '9' }
    const quiet = new Writable({ write: (_c, _e, cb) => cb() })
    const running = await runDaemonCommand({
      simulate: true,
      simulation: { traffic: false },
      env,
      handleSignals: false,
      logger: pino({ level: 'silent' }, quiet),
    })
    let stopped = false
    t.teardown(() => (stopped ? undefined : running.stop()))

    t.ok(running.simulator, 'a simulator was started')
    t.equal(running.config.freeswitch.host, '127.0.0.1', 'the config points at the simulator, not the configured host')
    t.not(running.config.freeswitch.port, 9, 'nor the configured port')
    t.equal(running.config.database.path, join(dir, 'simulate.sqlite'), 'and at the demo database beside the real one')
    t.equal(
      running.daemon.freeswitch.address,
      `127.0.0.1:${running.config.freeswitch.port}`,
      'the daemon was built from that config',
    )
    t.equal(running.daemon.freeswitch.connected, true, 'and is connected to the simulator')
    t.match(running.api?.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the daemon started the control API itself')
    const token = readFileSync(join(dir, CLI_TOKEN_FILE), 'utf8').trim()
    const res = await fetch(`${running.api!.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 200, 'the API answers with the CLI token the daemon wrote')
    t.equal(((await res.json()) as { queues: unknown[] }).queues.length, 2, 'the status of the demo call centre')

    const info = readRuntimeInfo(dir)
    t.match(info, {
      pid: process.pid,
      api: running.api!.url,
      freeswitch: { host: '127.0.0.1', port: running.config.freeswitch.port, simulated: true },
      database: join(dir, 'simulate.sqlite'),
    })

    await running.stop()
    stopped = true
    t.equal(readRuntimeInfo(dir, { anyPid: true }), undefined, 'stop removes daemon.json')
    await t.rejects(running.daemon.store.db.get('SELECT 1'), 'and closes the demo database (a query is refused)')
  },
)
