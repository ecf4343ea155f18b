/**
 * Fixtures of the first-call integration tests (issue 3 "Proof"): a seeded SQLite file and a simulator with two
 * registered agent phones. Shared by the in-process daemon test and the spawned-daemon test.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../../src/store/index.js'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import type { Clock } from '../../src/util/clock.js'

/** Queue 5000 rings an agent for this long (seconds). */
export const RING_SEC = 2

export interface Seeded {
  dir: string
  dbPath: string
  queueId: string
  agent1001: string
  agent1002: string
}

/**
 * A temp SQLite file with the default tenant, queue 5000 (longest idle, ring 2 s, wrap-up 1 s, no spoken
 * announcements so the test is quick, music on hold kept) and agents 1001 and 1002 logged in to it, 1001 first
 * (so 1001 has been idle longest).
 */
export async function seedFirstCall(now = Date.now()): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-it-'))
  const dbPath = join(dir, 'koplus.sqlite')
  const store = await Store.open(dbPath)
  try {
    const queue = await store.queues.create({
      number: '5000',
      name: 'Support',
      settings: {
        strategy: 'longest-idle',
        ringTimeSec: 5,
        wrapUpSec: 1,
        autoLogoutAfter: 0,
        welcomePrompt: '',
        firstMessagePrompt: '',
        periodicPrompt: '',
        announcePosition: false,
        announceWait: false,
      },
    })
    // The store accepts ring times of 5 s and up (an operator's sane minimum); the test rings for RING_SEC so it
    // runs fast, written under the validation.
    await store.db.run("UPDATE queues SET settings = json_set(settings, '$.ringTimeSec', ?) WHERE id = ?", [
      RING_SEC,
      queue.id,
    ])
    const a1 = await store.agents.create({ extension: '1001', name: 'Agent 1001', plan: 'pro' })
    const a2 = await store.agents.create({ extension: '1002', name: 'Agent 1002', plan: 'business' })
    await store.memberships.add(a1.id, queue.id)
    await store.memberships.add(a2.id, queue.id)
    await store.sessions.login(a1.id, queue.id, now - 60_000)
    await store.sessions.login(a2.id, queue.id, now - 30_000)
    return { dir, dbPath, queueId: queue.id, agent1001: a1.id, agent1002: a2.id }
  } finally {
    await store.close()
  }
}

/** A simulator on 127.0.0.1:<port> (on `clock`, default the wall clock) whose SIP domain is the default tenant's, with phones 1001 and 1002 registered. */
export async function startSimulator(clock?: Clock): Promise<{ sim: FreeSwitchSimulator; port: number }> {
  const sim = new FreeSwitchSimulator({ sipDomain: 'default', ...(clock ? { clock } : {}) })
  const port = await sim.listen(0, '127.0.0.1')
  sim.endpoint('1001', { registered: true, answerAfterMs: 300 })
  sim.endpoint('1002', { registered: true, answerAfterMs: 300 })
  return { sim, port }
}
