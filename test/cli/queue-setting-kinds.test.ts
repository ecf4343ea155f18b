/** The CLI's lists of text and number queue settings match the engine's DEFAULT_QUEUE_SETTINGS (the CLI may not import core). */
import t from 'tap'
import { DEFAULT_QUEUE_SETTINGS } from '../../src/core/model.js'
import { NUMBER_SETTINGS, TEXT_SETTINGS } from '../../src/cli/queue-setting-kinds.js'
import { settingValue } from '../../src/cli/main.js'

t.test('every text and number setting of DEFAULT_QUEUE_SETTINGS is listed as such, and nothing else', async (t) => {
  const entries = Object.entries(DEFAULT_QUEUE_SETTINGS)
  t.same(
    [...TEXT_SETTINGS].sort(),
    entries
      .filter(([, v]) => typeof v === 'string')
      .map(([k]) => k)
      .sort(),
    'text settings',
  )
  t.same(
    [...NUMBER_SETTINGS].sort(),
    entries
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k)
      .sort(),
    'number settings',
  )
})

t.test("settingValue reads a value by its setting's type", async (t) => {
  t.equal(settingValue('exitKey', '0'), '0', 'text kept as typed')
  t.equal(settingValue('ringTimeSec', '30'), 30, 'a number')
  t.equal(settingValue('ringTimeSec', 'abc'), 'abc', 'not a number: the text (the API refuses it)')
  t.same(settingValue('closedAction', '{"type":"busy"}'), { type: 'busy' }, 'an object as JSON')
  t.equal(settingValue('whisper', 'true'), true, 'true/false as JSON')
  t.equal(settingValue('noAgentsAction', 'null'), null, 'null clears')
})
