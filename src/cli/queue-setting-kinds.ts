/**
 * How `koplus queue set KEY=VALUE` reads a queue setting's value: by the setting's type in the engine's
 * DEFAULT_QUEUE_SETTINGS (src/core/model.ts), which the CLI may not import. test/cli/queue-setting-kinds.test.ts
 * holds these lists to that table, so a new setting cannot be read the wrong way.
 */

/** Settings whose value is text: kept as typed (exitKey=0 is the string "0"). */
export const TEXT_SETTINGS: ReadonlySet<string> = new Set([
  'language',
  'strategy',
  'welcomePrompt',
  'firstMessagePrompt',
  'periodicPrompt',
  'musicOnHold',
  'closedPrompt',
  'overflowPrompt',
  'noAgentsPrompt',
  'exitKey',
  'callbackKey',
  'callbackNumberPattern',
  'callbackCallerId',
])

/** Settings whose value is a number. */
export const NUMBER_SETTINGS: ReadonlySet<string> = new Set([
  'parallelCount',
  'ringTimeSec',
  'wrapUpSec',
  'autoLogoutAfter',
  'priority',
  'widenSkillsAfterSec',
  'periodicIntervalSec',
  'positionIntervalSec',
  'callbackMinWaitSec',
  'callbackRetries',
  'callbackRetryMin',
  'callbackRingSec',
  'callbackClosedExpireSec',
  'overflowMaxCallers',
  'overflowMaxWaitSec',
  'overflowMaxEstimatedWaitSec',
  'overflowReopenRatio',
  'noAgentsGraceSec',
  'maxWaitSec',
])
