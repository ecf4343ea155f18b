/** `freeswitch.nodes`, `freeswitch.interNodeDialString`, `freeswitch.nodeLostSeconds` (issue 12 part 3). */
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, redactConfig } from '../../src/config/index.js'
import { settingsFromConfig } from '../../src/daemon/start.js'
import { nodesOf } from '../../src/daemon/freeswitch-link.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-nodes-config-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = (o: unknown): string => {
  const p = join(dir, `c${n++}.json`)
  writeFileSync(p, JSON.stringify(o))
  return p
}
const problem = (o: unknown): string => {
  try {
    loadConfig({ argvPath: file(o), env: {} })
  } catch (err) {
    if (err instanceof ConfigError) return `${err.key}: ${err.problem}`
    throw err
  }
  return 'no error'
}

t.test('two nodes from the file: defaults filled, passwords never shown', async (t) => {
  const c = loadConfig({
    argvPath: file({
      freeswitch: {
        password: 'shared-secret',
        nodes: [
          { id: 'a', host: '10.0.0.11' },
          { id: 'b', host: '10.0.0.12', port: 8022, password: 'b-secret', sipAddress: '10.0.1.12:5080' },
        ],
        nodeLostSeconds: 10,
      },
    }),
    env: {},
  })
  t.same(c.freeswitch.nodes, [
    { id: 'a', host: '10.0.0.11', port: 8021, password: 'shared-secret' },
    { id: 'b', host: '10.0.0.12', port: 8022, password: 'b-secret', sipAddress: '10.0.1.12:5080' },
  ])
  const shown = JSON.stringify(redactConfig(c))
  t.notMatch(shown, /secret/, 'no password in the logged configuration')
  const s = settingsFromConfig(c)
  t.equal(s.freeswitch.nodeLostAfterMs, 10_000)
  t.same(
    nodesOf(s.freeswitch).map((x) => x.id),
    ['a', 'b'],
  )
})

t.test('without nodes: one node "default" at host/port/password', async (t) => {
  const s = settingsFromConfig(loadConfig({ env: {} }))
  t.same(nodesOf(s.freeswitch), [{ id: 'default', host: '127.0.0.1', port: 8021, password: 'ClueCon' }])
})

t.test('nodes from the environment as JSON text', async (t) => {
  const c = loadConfig({
    env: {
      KOPLUS_FREESWITCH_NODES: '[{"id":"x","host":"fs1"},{"id":"y","host":"fs2"}]',
      KOPLUS_FREESWITCH_INTER_NODE_DIAL_STRING: 'sofia/internal/${target}@proxy.example.net',
    },
  })
  t.same(
    c.freeswitch.nodes?.map((x) => x.host),
    ['fs1', 'fs2'],
  )
  t.equal(c.freeswitch.interNodeDialString, 'sofia/internal/${target}@proxy.example.net')
  t.throws(
    () => loadConfig({ env: { KOPLUS_FREESWITCH_NODES: '[{' } }),
    /freeswitch\.nodes: expected a JSON array of nodes, got text that is not JSON \(from KOPLUS_FREESWITCH_NODES\)/,
  )
})

t.test('bad nodes are refused with the element and field named', async (t) => {
  t.equal(
    problem({ freeswitch: { nodes: [] } }),
    'freeswitch.nodes: expected a non-empty array of { id, host, port, password, sipAddress } or null, got an empty array',
  )
  t.equal(
    problem({
      freeswitch: {
        nodes: [
          { id: 'a', host: 'h' },
          { id: 'A', host: 'g' },
        ],
      },
    }),
    'freeswitch.nodes: [1].id: "A" is given twice',
  )
  t.equal(
    problem({ freeswitch: { nodes: [{ id: 'a', host: 'h', port: 0 }] } }),
    'freeswitch.nodes: [0].port (node a): expected an integer 1-65535, got 0',
  )
  t.equal(
    problem({ freeswitch: { nodes: [{ id: 'a' }] } }),
    'freeswitch.nodes: [0].host (node a): expected a host name or IP address, got nothing',
  )
  t.equal(
    problem({ freeswitch: { nodes: [{ id: 'a', host: 'h', pasword: 'x' }] } }),
    'freeswitch.nodes: [0]: unknown field "pasword" (known: id, host, port, password, sipAddress)',
  )
  t.equal(
    problem({ freeswitch: { nodes: [{ id: 'a', host: 'h', password: '' }] } }),
    'freeswitch.nodes: [0].password (node a): expected a non-empty string',
  )
  t.equal(
    problem({ freeswitch: { nodes: [{ id: 'a b', host: 'h' }] } }),
    `freeswitch.nodes: [0].id: expected 1-32 letters, digits, '_', '.', '-', got "a b"`,
  )
  t.equal(
    problem({ freeswitch: { interNodeDialString: 'sofia/internal/1000@${nodeAddress}' } }),
    'freeswitch.interNodeDialString: must contain ${target}',
  )
  t.equal(
    problem({ freeswitch: { interNodeDialString: 'sofia/internal/${target}@${host}' } }),
    'freeswitch.interNodeDialString: unknown variable ${host} (allowed: ${target}, ${domain}, ${nodeAddress}, ${node})',
  )
})

t.test('--simulate with freeswitch.nodes configured talks to its own simulator, not to the nodes', async (t) => {
  const { prepareSimulation } = await import('../../src/daemon/simulate.js')
  const pino = (await import('pino')).default
  const config = loadConfig({
    argvPath: file({
      freeswitch: {
        nodes: [
          { id: 'a', host: '10.0.0.11' },
          { id: 'b', host: '10.0.0.12' },
        ],
      },
    }),
    env: {},
  })
  const world = await prepareSimulation(config, pino({ level: 'silent' }), { traffic: false })
  t.teardown(async () => {
    await world.simulator.close()
    await world.store.close()
  })
  t.equal(world.config.freeswitch.nodes, null)
  t.same(nodesOf(settingsFromConfig(world.config).freeswitch), [
    { id: 'default', host: '127.0.0.1', port: world.port, password: 'ClueCon' },
  ])
})
