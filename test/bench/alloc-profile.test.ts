/**
 * bench/helpers/alloc-profile.ts: a V8 sampling heap profile (the inspector's HeapProfiler.stopSampling shape) is
 * summed by allocating function and by the innermost koplus frame, so that JSON.parse or a Buffer's toString counts
 * against the koplus code that called it. A hand-made profile, then a real one of this process.
 */
import t from 'tap'
import { Session } from 'node:inspector/promises'
import { formatAllocations, summarizeAllocations, type ProfileNode } from '../../bench/helpers/alloc-profile.js'

const node = (functionName: string, url: string, selfSize: number, children: ProfileNode[] = []): ProfileNode => ({
  callFrame: { functionName, url, lineNumber: 9 },
  selfSize,
  children,
})

t.test('bytes by allocating function and by the innermost koplus frame', async (t) => {
  const head = node('(root)', '', 0, [
    node('onStreamRead', 'node:internal/stream_base_commons', 0, [
      node('#onData', 'file:///w/dist/src/freeswitch/esl/client.js', 100, [
        node('decode', 'file:///w/dist/src/freeswitch/esl/event.js', 0, [
          node('slice', 'node:buffer', 3000),
          node('parse', 'file:///w/node_modules/x/index.js', 500),
        ]),
      ]),
    ]),
    node('processTimers', 'node:internal/timers', 40),
  ])
  const s = summarizeAllocations(head)
  t.equal(s.total, 3640)
  t.same(s.self[0], { site: 'slice node:buffer:10', bytes: 3000 }, 'the allocating function')
  t.same(
    s.ours.map((x) => [x.site, x.bytes]),
    [
      ['decode src/freeswitch/esl/event.js:10', 3500],
      ['#onData src/freeswitch/esl/client.js:10', 100],
      ['(no koplus frame)', 40],
    ],
    'node: and node_modules frames count against the koplus function that called them',
  )
  const lines = formatAllocations(s, 2, 10, '/event')
  t.match(lines[0], /allocated \(sampled\): 0\.4 KB\/event/)
  t.match(lines.join('\n'), /82\.4 % {2}slice node:buffer:10/)
})

t.test('a real profile of this process: what a loop of JSON.stringify allocates is found and attributed', async (t) => {
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.enable')
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  })
  let n = 0
  for (let i = 0; i < 20_000; i++) n += JSON.stringify({ i, s: 'x'.repeat(100) }).length
  const { profile } = await session.post('HeapProfiler.stopSampling')
  session.disconnect()
  const s = summarizeAllocations(profile.head)
  t.ok(n > 0)
  t.ok(s.total > 1_000_000, `sampled ${s.total} bytes (about 2.6 MB allocated, every one collected)`)
  t.ok(s.self.length > 0 && s.ours.length > 0)
})
