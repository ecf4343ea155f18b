/** Shared defaults the shell keeps in src/config (the engine keeps its own copy: core imports nothing outside core). */
import t from 'tap'
import { DEFAULT_TIME_ZONE as CORE_ZONE } from '../../src/core/schedule/types.js'
import { DEFAULT_TIME_ZONE } from '../../src/config/defaults.js'
import { DISPLAY_ZONE } from '../../src/cli/format.js'

t.test('the shell shows and reads times in the schedule default zone', async (t) => {
  t.equal(DEFAULT_TIME_ZONE, CORE_ZONE)
  t.equal(DISPLAY_ZONE, CORE_ZONE)
})
