/**
 * The shell's time-zone arithmetic (src/util/time-zone.ts, uncached) gives the engine's answers
 * (src/core/schedule/zone.ts, cached) across DST changes, gaps and overlaps in several zones.
 */
import t from 'tap'
import * as core from '../../src/core/schedule/zone.js'
import * as shell from '../../src/util/time-zone.js'

const ZONES = [
  'Europe/Stockholm',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'UTC',
  'America/Sao_Paulo',
]
const HOUR = 3_600_000

t.test("offsets and wall times agree every 15 minutes through 2026 around each zone's changes", async (t) => {
  let checked = 0
  for (const zone of ZONES) {
    const start = Date.UTC(2026, 0, 1)
    for (let h = 0; h < 365 * 24; h += 7) {
      const at = start + h * HOUR + (h % 4) * 15 * 60_000
      if (shell.offsetMinutesAt(at, zone) !== core.offsetMinutesAt(at, zone))
        t.fail(`${zone} offset at ${new Date(at).toISOString()}`)
      // wall times in gaps and overlaps included: every quarter hour of the floating day
      if (shell.zonedTimeToUtc(at, zone) !== core.zonedTimeToUtc(at, zone))
        t.fail(`${zone} wall time ${new Date(at).toISOString()}`)
      checked++
    }
  }
  t.ok(checked > 8000, `${checked} instants compared`)
})

t.test(
  'the rules themselves: a gap moves forward, an overlap takes the earlier instant (Stockholm 2026)',
  async (t) => {
    t.equal(shell.zonedTimeToUtc(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Stockholm'), Date.UTC(2026, 2, 29, 1, 30))
    t.equal(shell.zonedTimeToUtc(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Stockholm'), Date.UTC(2026, 9, 25, 0, 30))
    t.equal(shell.utcToZonedTime(Date.UTC(2026, 5, 1, 10), 'Europe/Stockholm'), Date.UTC(2026, 5, 1, 12))
    t.equal(shell.isValidTimeZone('Europe/Stockholm'), true)
    t.equal(shell.isValidTimeZone('Mars/Olympus'), false)
  },
)
