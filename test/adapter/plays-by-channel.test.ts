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
