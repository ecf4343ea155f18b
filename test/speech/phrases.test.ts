import t from 'tap'
import { PROMPTS, isPromptId, type Lang } from '../../src/core/speech/catalogue.js'
import {
  roundWaitMinutes,
  sayDeviceChosen,
  sayLoggedIn,
  sayPosition,
  sayWait,
  WAIT_CAP_MINUTES,
} from '../../src/core/speech/phrases.js'

const text = (ids: string[], lang: Lang) => ids.map((id) => (isPromptId(id) ? PROMPTS[id][lang] : `?${id}?`)).join(' ')

t.test('position', async (t) => {
  t.same(sayPosition(2, 'sv'), ['position-is', 'num-2'])
  t.equal(text(sayPosition(2, 'sv'), 'sv'), 'Din plats i kön är nummer två')
  t.equal(text(sayPosition(1, 'sv'), 'sv'), 'Din plats i kön är nummer ett')
  t.equal(text(sayPosition(21, 'sv'), 'sv'), 'Din plats i kön är nummer tjugo ett')
  t.equal(text(sayPosition(1, 'en'), 'en'), 'Your place in the queue is number one')
  t.equal(text(sayPosition(999, 'en'), 'en'), 'Your place in the queue is number nine hundred ninety nine')
  t.throws(() => sayPosition(0, 'sv'), RangeError)
  t.throws(() => sayPosition(2.5, 'en'), RangeError)
})

t.test('wait rounding rule', async (t) => {
  const cases: Array<[number, ReturnType<typeof roundWaitMinutes>]> = [
    [0, 'less-than-a-minute'],
    [59.9, 'less-than-a-minute'],
    [60, 1],
    [89, 1],
    [90, 2],
    [180, 3],
    [19 * 60 + 29, 19],
    [19 * 60 + 31, 20],
    [22 * 60, 20],
    [23 * 60, 25],
    [47 * 60, 45],
    [180 * 60, 180],
    [182 * 60, 180],
    [183 * 60, 185 > WAIT_CAP_MINUTES ? 'more-than-cap' : 185],
    [10 * 3600, 'more-than-cap'],
  ]
  for (const [s, expected] of cases) t.equal(roundWaitMinutes(s), expected, `${s} s`)
})

t.test('wait phrases, Swedish', async (t) => {
  t.same(sayWait(undefined, 'sv'), [], 'no basis: silence')
  t.same(sayWait(Number.NaN, 'sv'), [], 'NaN: silence')
  t.equal(text(sayWait(30, 'sv'), 'sv'), 'Beräknad väntetid är mindre än en minut')
  t.equal(text(sayWait(-5, 'sv'), 'sv'), 'Beräknad väntetid är mindre än en minut')
  t.equal(text(sayWait(65, 'sv'), 'sv'), 'Beräknad väntetid är ungefär en minut')
  t.same(sayWait(65, 'sv'), ['wait-is', 'wait-about', 'num-1-common', 'minute'])
  t.equal(text(sayWait(180, 'sv'), 'sv'), 'Beräknad väntetid är ungefär tre minuter')
  t.equal(text(sayWait(125 * 60, 'sv'), 'sv'), 'Beräknad väntetid är ungefär ett hundra tjugo fem minuter')
  t.same(sayWait(21 * 60 * 1, 'sv').slice(2), ['num-20', 'minutes'], '21 min rounds to 20')
  t.equal(text(sayWait(400 * 60, 'sv'), 'sv'), 'Beräknad väntetid är mer än ett hundra åttio minuter')
  t.same(sayWait(180, 'sv', { intro: false }), ['wait-about', 'num-3', 'minutes'])
})

t.test('wait phrases, English', async (t) => {
  t.same(sayWait(undefined, 'en'), [])
  t.equal(text(sayWait(10, 'en'), 'en'), 'The estimated waiting time is less than a minute')
  t.equal(text(sayWait(60, 'en'), 'en'), 'The estimated waiting time is about one minute')
  t.equal(text(sayWait(3 * 60 + 10, 'en'), 'en'), 'The estimated waiting time is about three minutes')
  t.equal(text(sayWait(181 * 60, 'en'), 'en'), 'The estimated waiting time is about one hundred eighty minutes')
  t.equal(text(sayWait(200 * 60, 'en'), 'en'), 'The estimated waiting time is more than one hundred eighty minutes')
})

t.test('every minute count up to the cap is spoken with the right noun', async (t) => {
  for (let m = 1; m <= WAIT_CAP_MINUTES; m++) {
    for (const lang of ['sv', 'en'] as const) {
      const ids = sayWait(m * 60, lang)
      const noun = ids[ids.length - 1]
      const rounded = roundWaitMinutes(m * 60)
      if (noun !== (rounded === 1 ? 'minute' : 'minutes')) t.fail(`${lang} ${m}: ${ids.join(',')}`)
      if (ids[1] !== 'wait-about') t.fail(`${lang} ${m}: ${ids.join(',')}`)
    }
  }
  t.pass('checked 1..180')
})

t.test('agent confirmations', async (t) => {
  t.equal(text(sayLoggedIn(1, 'sv'), 'sv'), 'Du är nu inloggad i en kö')
  t.equal(text(sayLoggedIn(3, 'sv'), 'sv'), 'Du är nu inloggad i tre köer')
  t.equal(text(sayLoggedIn(21, 'sv'), 'sv'), 'Du är nu inloggad i tjugo ett köer')
  t.equal(text(sayLoggedIn(1, 'en'), 'en'), 'You are now logged in to one queue')
  t.equal(text(sayLoggedIn(2, 'en'), 'en'), 'You are now logged in to two queues')
  t.same(sayLoggedIn(0, 'sv'), ['agent-logged-in-none'])
  t.throws(() => sayLoggedIn(-1, 'sv'), RangeError)
  t.same(sayDeviceChosen('mobile'), ['agent-device-mobile'])
  t.same(sayDeviceChosen('deskphone'), ['agent-device-deskphone'])
  t.same(sayDeviceChosen('softphone'), ['agent-device-softphone'])
})
