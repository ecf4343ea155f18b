/**
 * Numbers spoken from recorded words (the `num-*` prompts of ./catalogue.ts).
 *
 * Swedish: 0–20 and the tens are single words; 21–99 are tens + unit ("tjugo" "ett" =
 * tjugoett); hundreds are unit + "hundra" ("ett" "hundra" "tjugo" "fem" = etthundratjugofem);
 * thousands likewise with "tusen". The counting form of 1 is "ett" (neuter), and a compound
 * ending in 1 keeps "ett" ("tjugoett minuter", as the specification asks). Only a lone 1
 * before a common-gender noun takes "en": "en minut", "en kö" — ask for it with
 * `{ gender: 'common' }`.
 *
 * English: "twenty" "one", "one" "hundred" "twenty" "five" (no "and"), "one" "thousand".
 */
import type { Lang } from './catalogue.js'

/** Grammatical gender of the noun the number counts (Swedish only; ignored for English). */
type Gender = 'common' | 'neuter'

interface SayNumberOptions {
  /** Swedish: 'common' makes a lone 1 "en" (en minut); default 'neuter' ("ett", nummer ett). */
  gender?: Gender
}

/** Largest number sayNumber accepts. */
export const MAX_SPOKEN_NUMBER = 999_999

/**
 * The prompt ids that speak `n` in `lang`.
 * @throws RangeError unless `n` is an integer in 0..MAX_SPOKEN_NUMBER.
 */
export function sayNumber(n: number, lang: Lang, opts: SayNumberOptions = {}): string[] {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SPOKEN_NUMBER) {
    throw new RangeError(`sayNumber: ${n} is not an integer in 0..${MAX_SPOKEN_NUMBER}`)
  }
  if (n === 0) return ['num-0']
  if (n === 1 && lang === 'sv' && opts.gender === 'common') return ['num-1-common']
  return below1000000(n)
}

function below1000000(n: number): string[] {
  const thousands = Math.floor(n / 1000)
  const rest = n % 1000
  const out: string[] = []
  if (thousands > 0) out.push(...below1000(thousands), 'num-thousand')
  if (rest > 0) out.push(...below1000(rest))
  return out
}

function below1000(n: number): string[] {
  const hundreds = Math.floor(n / 100)
  const rest = n % 100
  const out: string[] = []
  if (hundreds > 0) out.push(`num-${hundreds}`, 'num-hundred')
  if (rest > 0) out.push(...below100(rest))
  return out
}

function below100(n: number): string[] {
  if (n <= 20) return [`num-${n}`]
  const tens = Math.floor(n / 10) * 10
  const unit = n % 10
  return unit === 0 ? [`num-${tens}`] : [`num-${tens}`, `num-${unit}`]
}
