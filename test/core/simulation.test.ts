import t from 'tap'
import { runDay } from '../../bench/sim/engine-day.js'
import { InvariantChecker } from './harness.js'

t.test('fairness: longest-idle gives equally available agents equal shares over 10,000 calls (±5%)', async (t) => {
  const r = runDay({
    seed: 42,
    queues: 1,
    agents: 5,
    calls: 10_000,
    // 10,000 calls over 40 h to 5 agents: busy (about 70% occupancy) but not overloaded.
    dayMs: 40 * 3600_000,
    strategies: ['longest-idle'],
    busyProb: 0,
    noAnswerProb: 0,
    talkMeanSec: 30,
    patienceMeanSec: 100_000,
  })
  t.equal(r.arrived, 10_000)
  const counts = Object.values(r.answeredBy)
  t.equal(counts.length, 5, 'every agent served')
  const total = counts.reduce((a, b) => a + b, 0)
  t.ok(total > 9_000, `most calls answered (${total})`)
  const mean = total / counts.length
  for (const [agent, n] of Object.entries(r.answeredBy)) {
    t.ok(Math.abs(n - mean) / mean <= 0.05, `${agent}: ${n} calls, mean ${mean.toFixed(1)}`)
  }
})

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  t.test(`property: random day (seed ${seed}) keeps every invariant after every step`, async (t) => {
    const check = new InvariantChecker()
    let steps = 0
    const r = runDay({
      seed,
      queues: 3,
      agents: 6,
      calls: 300,
      dayMs: 2 * 3600_000,
      queuesPerAgent: 2,
      mobileShare: 0.3,
      voicemailProb: 0.4,
      busyProb: 0.1,
      noAnswerProb: 0.15,
      patienceMeanSec: 120,
      talkMeanSec: 90,
      agentActionMeanSec: 30,
      settings: {
        autoLogoutAfter: seed % 2 ? 3 : 0,
        wrapUpSec: 5,
        whisper: seed % 3 === 0,
        maxWaitSec: seed % 4 === 0 ? 200 : 0,
        periodicPrompt: 'queue-periodic',
        periodicIntervalSec: 30,
        announcePosition: true,
        positionIntervalSec: 40,
      },
      wantStatus: true,
      onStep: (e, cmds, status) => {
        steps++
        check.event(e)
        check.commands(cmds, status!)
      },
    })
    t.same(check.violations, [])
    t.ok(steps > 1000, `${steps} steps`)
    t.ok(r.answered > 0 && r.abandoned > 0, `answered ${r.answered}, abandoned ${r.abandoned}`)
  })
}

t.test('the invariant checker catches a double offer, a paused agent offered and a broken queue order', async (t) => {
  const leg = (legId: string, agentId: string) => ({ legId, agentId, dialString: 'x', confirm: false, whisper: false })
  const originate = (callId: string, offerId: string, legs: ReturnType<typeof leg>[]) =>
    ({
      type: 'originate',
      callId,
      offerId,
      legs,
      timeoutSec: 20,
      callerIdName: '',
      callerIdNumber: '',
      queueId: 'q1',
    }) as const
  const empty = { at: 0, queues: [], agents: [] }
  let c = new InvariantChecker()
  c.commands([originate('c1', 'o1', [leg('l1', 'a1')])], empty)
  t.throws(() => c.commands([originate('c2', 'o2', [leg('l2', 'a1')])], empty), /offered c2 while ringing/)
  c = new InvariantChecker()
  c.commands([originate('c1', 'o1', [leg('l1', 'a1')])], empty)
  t.throws(() => c.commands([originate('c1', 'o2', [leg('l2', 'a2')])], empty), /offered twice/)
  c = new InvariantChecker()
  c.commands([{ type: 'log', at: 0, callId: '', queueId: 'q1', agentId: 'a1', event: 'PAUSE' }], empty)
  t.throws(() => c.commands([originate('c1', 'o1', [leg('l1', 'a1')])], empty), /paused/)
  c = new InvariantChecker()
  const q = (seqs: number[]) => ({
    queues: [
      {
        queueId: 'q1',
        callers: seqs.map((seq, i) => ({
          callId: `c${seq}`,
          position: i + 1,
          seq,
          callerNumber: '',
          waitedSec: 0,
          ringing: [],
        })),
      },
    ],
  })
  t.throws(() => c.commands([], { ...empty, ...q([2, 1]) } as never), /seq order/)
})
