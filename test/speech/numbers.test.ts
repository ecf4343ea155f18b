import t from 'tap'
import { PROMPTS, isPromptId, type Lang } from '../../src/core/speech/catalogue.js'
import { sayNumber, MAX_SPOKEN_NUMBER } from '../../src/core/speech/numbers.js'

/** Renders ids as the words they say, joined without spaces (Swedish compounds are one word). */
function words(ids: string[], lang: Lang, sep: string): string {
  return ids
    .map((id) => {
      if (!isPromptId(id)) throw new Error(`not a prompt id: ${id}`)
      return PROMPTS[id][lang]
    })
    .join(sep)
}

/** Independent check: reads a list of num-* ids back into the number it speaks. */
function parse(ids: string[]): number {
  let total = 0
  let group = 0
  for (const id of ids) {
    const m = /^num-(\d+|1-common|hundred|thousand)$/.exec(id)
    if (!m) throw new Error(`unexpected id ${id}`)
    if (m[1] === 'hundred') group *= 100
    else if (m[1] === 'thousand') {
      total += group * 1000
      group = 0
    } else group += m[1] === '1-common' ? 1 : Number(m[1])
  }
  return total + group
}

t.test('Swedish examples', async (t) => {
  const cases: Array<[number, string, ('common' | 'neuter')?]> = [
    [0, 'noll'],
    [1, 'ett'],
    [1, 'en', 'common'],
    [1, 'ett', 'neuter'],
    [2, 'två'],
    [7, 'sju'],
    [10, 'tio'],
    [11, 'elva'],
    [13, 'tretton'],
    [17, 'sjutton'],
    [18, 'arton'],
    [20, 'tjugo'],
    [21, 'tjugoett'],
    [21, 'tjugoett', 'common'],
    [22, 'tjugotvå'],
    [30, 'trettio'],
    [45, 'fyrtiofem'],
    [58, 'femtioåtta'],
    [67, 'sextiosju'],
    [79, 'sjuttionio'],
    [81, 'åttioett'],
    [99, 'nittionio'],
    [100, 'etthundra'],
    [101, 'etthundraett'],
    [110, 'etthundratio'],
    [115, 'etthundrafemton'],
    [120, 'etthundratjugo'],
    [180, 'etthundraåttio'],
    [200, 'tvåhundra'],
    [342, 'trehundrafyrtiotvå'],
    [999, 'niohundranittionio'],
    [1000, 'etttusen'],
    [2024, 'tvåtusentjugofyra'],
    [12345, 'tolvtusentrehundrafyrtiofem'],
  ]
  for (const [n, expected, gender] of cases) {
    t.equal(words(sayNumber(n, 'sv', gender ? { gender } : {}), 'sv', ''), expected, `${n} ${gender ?? ''}`)
  }
})

t.test('English examples', async (t) => {
  const cases: Array<[number, string]> = [
    [0, 'zero'],
    [1, 'one'],
    [12, 'twelve'],
    [19, 'nineteen'],
    [20, 'twenty'],
    [21, 'twenty one'],
    [40, 'forty'],
    [99, 'ninety nine'],
    [100, 'one hundred'],
    [105, 'one hundred five'],
    [180, 'one hundred eighty'],
    [999, 'nine hundred ninety nine'],
    [1001, 'one thousand one'],
  ]
  for (const [n, expected] of cases) {
    t.equal(words(sayNumber(n, 'en'), 'en', ' '), expected, String(n))
    // gender never changes English
    t.equal(words(sayNumber(n, 'en', { gender: 'common' }), 'en', ' '), expected, `${n} common`)
  }
})

t.test('0..999 in both languages and genders: round-trips and stays short', async (t) => {
  let checked = 0
  for (const lang of ['sv', 'en'] as const) {
    for (const gender of ['common', 'neuter'] as const) {
      for (let n = 0; n <= 999; n++) {
        const ids = sayNumber(n, lang, { gender })
        if (parse(ids) !== n) t.fail(`${lang} ${gender} ${n} → ${ids.join(',')}`)
        if (ids.length < 1 || ids.length > 4) t.fail(`${lang} ${n} has ${ids.length} words`)
        if (ids.includes('num-1-common') && !(lang === 'sv' && gender === 'common' && n === 1)) {
          t.fail(`"en" used outside a lone common-gender 1: ${lang} ${gender} ${n}`)
        }
        checked++
      }
    }
  }
  t.equal(checked, 4000)
})

t.test('larger numbers round-trip', async (t) => {
  for (const n of [1000, 1999, 10_000, 54_321, 100_000, 999_999]) {
    t.equal(parse(sayNumber(n, 'sv')), n)
    t.equal(parse(sayNumber(n, 'en')), n)
  }
})

t.test('rejects what cannot be spoken', async (t) => {
  t.throws(() => sayNumber(-1, 'sv'), RangeError)
  t.throws(() => sayNumber(1.5, 'sv'), RangeError)
  t.throws(() => sayNumber(Number.NaN, 'en'), RangeError)
  t.throws(() => sayNumber(MAX_SPOKEN_NUMBER + 1, 'en'), RangeError)
})
