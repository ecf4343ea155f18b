/**
 * bench/helpers/idle-probe.ts: a process that only measures its own event loop (the host's floor under the
 * daemon's lateness) answers reset and read with figures of its own loop; a blocked parent does not block it.
 */
import t from 'tap'
import { startIdleProbe } from '../../bench/helpers/idle-probe.js'

t.test('reset, then read: p50 ≤ p99 ≤ max, in ms, from its own 5 ms ticks', async (t) => {
  const probe = startIdleProbe()
  t.teardown(() => probe.stop())
  await probe.reset()
  // Block this process for 300 ms: the probe, another process, keeps ticking on time.
  for (const end = performance.now() + 300; performance.now() < end;);
  await new Promise((r) => setTimeout(r, 100))
  const f = await probe.read()
  t.ok(f.p50 >= 5 && f.p50 <= f.p99 && f.p99 <= f.max, `p50 ${f.p50} p99 ${f.p99} max ${f.max}`)
  t.ok(f.max < 300, 'the parent blocked for 300 ms and the probe did not wait as long')
})
