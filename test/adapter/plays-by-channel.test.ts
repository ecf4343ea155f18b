/**
 * The adapter's running plays indexed by channel (issue 13, recovery): stop-audio on one caller touches that
 * caller's plays only, and a forgotten channel leaves nothing behind.
 */
import t from 'tap'
import { PlaysByChannel, type PlayState } from '../../src/freeswitch/adapter/channels.js'

const play = (channel: string, token = '', kind: PlayState['kind'] = 'hold'): PlayState => ({
  channel,
  token,
  kind,
  interrupted: false,
  arg: 'moh.wav',
})

t.test('plays are found, removed and forgotten per channel', async (t) => {
  const plays = new PlaysByChannel()
  const a1 = play('a')
  const a2 = play('a', 'tok', 'play')
  const b = play('b')
  plays.add(a1)
  plays.add(a2)
  plays.add(b)
  t.equal(plays.size, 3)
  t.same([...plays.of('a')], [a1, a2], "a's plays, in the order they started")
  t.same([...plays.of('c')], [], 'none on an unknown channel')
  plays.delete(a1)
  plays.delete(a1)
  t.same([...plays.of('a')], [a2], 'deleting twice is harmless')
  plays.deleteChannel('a')
  t.same([...plays.of('a')], [])
  t.same([...plays.of('b')], [b], 'the other channel untouched')
  plays.delete(b)
  t.equal(plays.size, 0)
  plays.add(play('d'))
  plays.clear()
  t.equal(plays.size, 0)
})

t.test('one play is kept as itself, several in a Set: the same answers through one, two, three and back', async (t) => {
  const plays = new PlaysByChannel()
  const [x, y, z] = [play('a', '1'), play('a', '2', 'play'), play('a', '3', 'play')]
  plays.add(x)
  plays.add(x)
  t.same([...plays.of('a')], [x], 'adding the same play twice keeps one')
  t.equal(plays.size, 1)
  plays.add(y)
  plays.add(z)
  t.same([...plays.of('a')], [x, y, z], 'three, in order')
  t.equal(plays.size, 3)
  plays.delete(y)
  t.same([...plays.of('a')], [x, z])
  plays.delete(x)
  t.same([...plays.of('a')], [z], 'back to one')
  plays.add(x)
  t.same([...plays.of('a')], [z, x], 'and two again, in the order added')
  plays.delete(z)
  plays.delete(x)
  t.same([...plays.of('a')], [], 'none')
  t.equal(plays.size, 0)
  plays.delete(x)
  t.equal(plays.size, 0, 'deleting a play not there is harmless')
})
