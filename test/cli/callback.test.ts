/**
 * Issue 14: `koplus callbacks` and `koplus callback cancel|move|stats` against the API (recording engine: the
 * cancel and move are handed to the engine as events; the store rows are seeded as the engine would write them).
 * The CLI is spawned from the build (npm run build).
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { world } from '../api/fixture.js'
import { clockEnv } from '../helpers/faketime.js'

const BIN = process.env.KOPLUS_BIN ?? resolve('bin/koplus.js')
const built = existsSync(resolve(BIN, '../../dist/src/cli/main.js'))

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), TZ: 'UTC', ...clockEnv() }, timeout: 30_000 },
      (err, stdout, stderr) => {
        done({
          code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
          stdout,
          stderr,
        })
      },
    )
    child.stdin!.end()
  })
}

t.test('callbacks from the CLI', { skip: !built && !process.env.CI && `no build at ${BIN}` }, async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const now = w.now.t
  const base = {
    tenantId: 'ta',
    queueId: 'qa',
    callerNumber: '0701234567',
    requestedAt: now - 600_000,
    joinedAt: now - 700_000,
    attempts: 0,
    nextAttemptAt: now,
  }
  await w.store.callbacks.record({ ...base, callId: 'cb-1', number: '0701234567', seq: 1, state: 'waiting' })
  await w.store.callbacks.record({ ...base, callId: 'cb-2', number: '0812345678', seq: 2, state: 'waiting' })
  await w.store.callbacks.record({ ...base, callId: 'cb-3', number: '0823456789', seq: 3, state: 'waiting' })
  await w.store.callbacks.record({ callId: 'cb-3', state: 'completed', attempts: 1, connectedAt: now - 300_000 })
  await w.store.callbacks.record({ callId: 'cb-2', state: 'failed', reason: 'no-answer', attempts: 3 })
  const k = (...args: string[]) => run(['--api', w.url, '--token', w.tokens.operator, ...args])

  const list = await k('callbacks', '--state', 'pending', '--json')
  t.equal(list.code, 0, list.stderr)
  t.same(
    JSON.parse(list.stdout).map((c: { callId: string }) => c.callId),
    ['cb-1'],
    'pending only',
  )
  const table = await k('callbacks')
  t.match(table.stdout, /REQUESTED\s+QUEUE\s+NUMBER\s+STATE\s+ATTEMPTS\s+REASON/)
  t.match(table.stdout, /0812345678\s+failed\s+3\s+no-answer/)

  const move = await k('callback', 'move', 'cb-1', '1')
  t.equal(move.code, 0, move.stderr)
  t.same(
    w.live.events.at(-1),
    { type: 'callback-move', callId: 'cb-1', position: 1, source: 'cli' },
    'handed to the engine',
  )
  const cancel = await k('callback', 'cancel', 'cb-1')
  t.equal(cancel.code, 0, cancel.stderr)
  t.same(w.live.events.at(-1), { type: 'callback-cancel', callId: 'cb-1', source: 'cli' })
  const done = await k('callback', 'cancel', 'cb-3')
  t.equal(done.code, 1, 'a completed callback cannot be cancelled')
  t.match(done.stderr, /completed/)
  const bad = await k('callback', 'move', 'cb-1', 'first')
  t.equal(bad.code, 1, 'position must be a number')

  const stats = await k('callback', 'stats', '--json')
  const s = JSON.parse(stats.stdout)
  t.same(
    [s.requested, s.completed, s.failed, s.pending, s.toConnectionSec.avg],
    [3, 1, { 'no-answer': 1 }, 1, 300],
    'requested, completed, failed by reason, time to connection',
  )
})
