/** Feature codes agents dial (SPEC A1, D3, D6, D7): parsing only; the engine carries them out. */
import type { CoreConfig } from '../events.js'

type FeatureCodes = CoreConfig['featureCodes']

/** The documented defaults (configurable in CoreConfig.featureCodes). */
export const DEFAULT_FEATURE_CODES: FeatureCodes = {
  login: '*71',
  logout: '*72',
  device: '*73',
  pause: '*74',
  wrapUpEnd: '*75',
  record: '*79',
}

type FeatureAction = keyof FeatureCodes

/** A dialled feature code: which action and the digits after the code (queue number, device, reason…). */
interface ParsedFeature {
  action: FeatureAction
  rest: string
}

/** Match the dialled digits against the codes, longest code first (so *7 never shadows *71). */
export function parseFeatureCode(digits: string, codes: FeatureCodes): ParsedFeature | undefined {
  const entries = (Object.entries(codes) as [FeatureAction, string][])
    .filter(([, code]) => code !== '')
    .sort((a, b) => b[1].length - a[1].length)
  for (const [action, code] of entries) {
    if (digits.startsWith(code)) return { action, rest: digits.slice(code.length) }
  }
  return undefined
}

/**
 * The prompts an administrator may record by phone with *79<n>[<queue number>]: n → prompt id.
 * With a queue number the recording becomes that queue's prompt, without it the tenant's.
 */
export const RECORDABLE_PROMPTS: Record<string, string> = {
  '1': 'welcome',
  '2': 'queue-first',
  '3': 'queue-periodic',
  '4': 'closed',
  '5': 'overflow',
  '6': 'no-agents',
  /** The queue's name, whispered to agents before a call and played in the mobile confirmation. */
  '7': 'queue-name',
}
