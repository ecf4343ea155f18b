/**
 * CommandsQueue (src/freeswitch/esl/commands-queue.ts): replies FIFO, timeouts per command from one timer armed at
 * the earliest deadline (not one timer per command), a late reply consumed and dropped, flush rejects the rest.
 */
import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { CommandsQueue } from '../../src/freeswitch/esl/commands-queue.js'
import { EslTimeoutError } from '../../src/freeswitch/esl/errors.js'
import type { EslFrame } from '../../src/freeswitch/esl/parser.js'

const reply = (text: string): EslFrame => ({ headers: { 'Content-Type': 'command/reply', 'Reply-Text': text } })
const outcome = (p: Promise<EslFrame>) =>
  p.then(
    (f) => f.headers['Reply-Text'],
    (e: Error) => (e instanceof EslTimeoutError ? `timeout ${e.message}` : `error ${e.message}`),
  )

t.test('a thousand commands in flight: one timer, not a thousand; answered ones never time out', async (t) => {
  const clock = new VirtualClock(0)
  const q = new CommandsQueue(clock)
  const all = Array.from({ length: 1000 }, (_, i) => outcome(q.add(`api c${i}`, 10_000)))
  t.equal(clock.pendingCount, 1, 'one timer for the whole queue')
  for (let i = 0; i < 1000; i++) q.resolveNext(reply(`+OK ${i}`))
  clock.advance(20_000)
  const got = await Promise.all(all)
  t.same(got.slice(0, 2), ['+OK 0', '+OK 1'])
  t.equal(got.filter((g) => g.startsWith('+OK')).length, 1000, 'every reply reached its command, none timed out')
  t.equal(clock.pendingCount, 0, 'nothing left armed once the deadline passed with nothing waiting')
})

t.test('each command times out at its own deadline, a shorter one after a longer one included', async (t) => {
  const clock = new VirtualClock(0)
  const q = new CommandsQueue(clock)
  const a = outcome(q.add('api slow', 10_000))
  clock.advance(1000)
  const b = outcome(q.add('api quick', 2000)) // deadline 3000, before a's 10000
  const c = outcome(q.add('api none', undefined))
  let bDone = false
  void b.then(() => (bDone = true))
  clock.advance(1999)
  await Promise.resolve()
  t.notOk(bDone, 'not before its deadline')
  clock.advance(1)
  t.match(await b, /"api quick" within 2000 ms/, 'quick: at 3000 ms')
  let aDone = false
  void a.then(() => (aDone = true))
  clock.advance(6999)
  await Promise.resolve()
  t.notOk(aDone, 'slow: still waiting at 9999 ms')
  clock.advance(1)
  t.match(await a, /"api slow" within 10000 ms/, 'slow: at 10000 ms')
  t.equal(q.length, 3, 'timed-out commands keep their place')
  t.ok(q.resolveNext(reply('+OK late a')), 'the late reply of a is consumed')
  t.ok(q.resolveNext(reply('+OK late b')), 'and b’s')
  t.ok(q.resolveNext(reply('+OK c')))
  t.equal(await c, '+OK c', 'the third command gets its own reply, not a late one')
  t.notOk(q.resolveNext(reply('+OK stray')), 'a reply with no command waiting')
})

t.test('flush rejects what is waiting and disarms the timer', async (t) => {
  const clock = new VirtualClock(0)
  const q = new CommandsQueue(clock)
  const a = outcome(q.add('api a', 5000))
  q.flush(new Error('connection lost'))
  t.equal(await a, 'error connection lost')
  t.equal(clock.pendingCount, 0)
  t.equal(q.length, 0)
})
