/**
 * Issue 13 item 4 (recovery): the rebuild reads the channels' variables with their `uuid_dump`s pipelined — written
 * back to back, replies matched in order (mod_event_socket answers one command at a time per connection) — instead
 * of one round trip each. The port here answers each command only after a tick, as a socket would.
 */
import t from 'tap'
import { readLiveChannels } from '../../src/freeswitch/adapter/restore.js'
import { pipelined } from '../../src/freeswitch/adapter/pipelined.js'

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0)

function dump(uuid: string, seq: number): string {
  return JSON.stringify({
    'Unique-ID': uuid,
    'Answer-State': 'answered',
    'Channel-State': 'CS_PARK',
    'Caller-Channel-Created-Time': String((NOW - 60_000) * 1000),
    variable_koplus_queue: '5000',
    variable_koplus_joined_at: String(NOW - 50_000 + seq),
    variable_koplus_seq: String(seq),
  })
}

/** A port whose replies come a tick later, counting the commands in flight. */
function slowPort(uuids: string[]) {
  const stats = { maxInFlight: 0, inFlight: 0, commands: 0 }
  const api = (command: string): Promise<string> => {
    stats.commands++
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    return new Promise((resolve) =>
      setImmediate(() => {
        stats.inFlight--
        if (command === 'show channels as json')
          return resolve(JSON.stringify({ row_count: uuids.length, rows: uuids.map((uuid) => ({ uuid })) }))
        const m = /^uuid_dump (\S+) json$/.exec(command)
        const i = m ? uuids.indexOf(m[1]) : -1
        // A channel that hung up between the list and its dump.
        resolve(i < 0 || m![1].endsWith('gone') ? '-ERR No such channel!\n' : dump(m![1], i + 1))
      }),
    )
  }
  return { api, stats }
}

t.test('1,000 channels: the dumps are in flight together, every caller read in place', async (t) => {
  const uuids = Array.from({ length: 1000 }, (_, i) => (i === 500 ? 'c500-gone' : `c${i}`))
  const port = slowPort(uuids)
  const live = await readLiveChannels(port, NOW)
  t.equal(port.stats.commands, 1001, 'show channels + one uuid_dump per channel')
  t.ok(
    port.stats.maxInFlight >= 64,
    `dumps pipelined: ${port.stats.maxInFlight} in flight at most (was 1: one round trip each)`,
  )
  t.ok(port.stats.maxInFlight <= 128, 'bounded window')
  t.equal(live.calls.size, 999, 'every channel but the one gone')
  t.same(
    [...live.calls.values()].slice(0, 3).map((c) => [c.callId, c.restored.seq]),
    [
      ['c0', 1],
      ['c1', 2],
      ['c2', 3],
    ],
    'each with its own variables',
  )
  t.equal(live.calls.get('c999')?.restored.seq, 1000)
})

t.test('pipelined keeps the order of results and the window', async (t) => {
  let inFlight = 0
  let max = 0
  const out = await pipelined(
    [5, 1, 4, 2, 3],
    async (x) => {
      inFlight++
      max = Math.max(max, inFlight)
      await new Promise((r) => setTimeout(r, x))
      inFlight--
      return x * 10
    },
    2,
  )
  t.same(out, [50, 10, 40, 20, 30], 'results in the order of the items')
  t.equal(max, 2, 'never more than the window at once')
  t.same(await pipelined([], async () => 1), [], 'nothing to do')
})

t.test(
  'dumps are used as parsed; a non-string value is dropped, a bad dump skipped; timings are reported',
  async (t) => {
    const dumps: Record<string, string> = {
      plain: dump('plain', 1),
      array: JSON.stringify({ ...(JSON.parse(dump('array', 2)) as object), variable_DP_MATCH: ['lab-5000', '5000'] }),
      proto: dump('proto', 3).replace('{', '{"__proto__":"x",'),
      notjson: '{"Unique-ID":',
      list: '["not","an","object"]',
    }
    const uuids = Object.keys(dumps)
    const port = {
      api: async (command: string): Promise<string> =>
        command === 'show channels as json'
          ? JSON.stringify({ row_count: uuids.length, rows: uuids.map((uuid) => ({ uuid })) })
          : dumps[command.split(' ')[1]],
    }
    const timings = { fetchMs: -1, parseMs: -1, channels: 0 }
    const live = await readLiveChannels(port, NOW, undefined, undefined, timings)
    t.same([...live.calls.keys()], ['plain', 'array', 'proto'], 'the two bad dumps are skipped')
    t.same(
      [...live.calls.values()].map((c) => c.restored.seq),
      [1, 2, 3],
    )
    t.equal(timings.channels, 5)
    t.ok(timings.fetchMs >= 0 && timings.parseMs >= 0, 'fetch and parse timed')
  },
)
