/**
 * FrameSlices (src/freeswitch/esl/frame-slices.ts): a burst of frames is handled in order, in slices of at most
 * sliceMs, the event loop turning between them; frames read meanwhile queue behind; drain and a handler's false.
 * Time is a counter the test moves (each frame "takes" 1 ms), so where a slice ends is exact.
 */
import t from 'tap'
import { FrameSlices } from '../../src/freeswitch/esl/frame-slices.js'
import type { EslFrame } from '../../src/freeswitch/esl/parser.js'

const frames = (from: number, n: number): EslFrame[] =>
  Array.from({ length: n }, (_, i) => ({ headers: { 'Content-Type': 'test', n: String(from + i) } }))
const turn = () => new Promise<void>((r) => setImmediate(r))

function rig(sliceMs: number) {
  let now = 0
  const seen: number[] = []
  const holds: boolean[] = []
  let stopAt = -1
  const slices = new FrameSlices(
    (f) => {
      const n = Number(f.headers.n)
      if (n === stopAt) return false
      seen.push(n)
      now += 1
      return true
    },
    sliceMs,
    { now: () => now, onHold: (held) => holds.push(held) },
  )
  return { slices, seen, holds, stop: (n: number) => (stopAt = n) }
}

t.test('a burst is handled in slices of sliceMs, in order, one slice per turn of the loop', async (t) => {
  const { slices, seen, holds } = rig(3)
  slices.push(frames(0, 10))
  t.same(seen, [0, 1, 2], 'the first slice at once: 3 frames of 1 ms')
  t.equal(slices.pending, 7)
  t.same(holds, [true], 'reading held while frames wait')
  await turn()
  t.same(seen, [0, 1, 2, 3, 4, 5], 'the next slice on the next turn')
  slices.push(frames(10, 2))
  t.same(seen, [0, 1, 2, 3, 4, 5], 'frames read meanwhile wait behind the rest, not handled ahead of it')
  await turn()
  await turn()
  await turn()
  t.same(
    seen,
    Array.from({ length: 12 }, (_, i) => i),
    'all in order',
  )
  t.equal(slices.pending, 0)
  t.same(holds, [true, false], 'and let go once they are all handled')
})

t.test('sliceMs 0: the whole burst at once', async (t) => {
  const { slices, seen, holds } = rig(0)
  slices.push(frames(0, 50))
  t.equal(seen.length, 50)
  t.equal(slices.pending, 0)
  t.same(holds, [], 'never held')
})

t.test('drain handles the rest now; clear drops it; a handler returning false drops the rest', async (t) => {
  const a = rig(2)
  a.slices.push(frames(0, 6))
  t.same(a.seen, [0, 1])
  a.slices.drain()
  t.same(a.seen, [0, 1, 2, 3, 4, 5], 'drained synchronously')
  await turn()
  t.same(a.seen, [0, 1, 2, 3, 4, 5], 'the scheduled slice finds nothing left')

  const b = rig(2)
  b.slices.push(frames(0, 6))
  b.slices.clear()
  await turn()
  t.same(b.seen, [0, 1], 'cleared: the rest never handled')
  t.same(b.holds, [true, false], 'and reading let go')
  b.slices.push(frames(100, 1))
  t.same(b.seen, [0, 1, 100], 'and the next read is handled at once')

  const c = rig(0)
  c.stop(3)
  c.slices.push(frames(0, 6))
  t.same(c.seen, [0, 1, 2], 'stopped at the frame the handler refused')
  t.equal(c.slices.pending, 0, 'the rest dropped')
})
