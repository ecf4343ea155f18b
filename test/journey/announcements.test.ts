import t from 'tap'
import {
  decodeAnnounceState,
  encodeAnnounceState,
  entryPrompts,
  initialAnnounceState,
  markPlayed,
  nextAnnouncement,
  type AnnouncementContext,
  type AnnounceState,
} from '../../src/core/journey/announcements.js'
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from '../../src/core/model.js'

const S = (s: Partial<QueueSettings> = {}): QueueSettings => ({
  ...DEFAULT_QUEUE_SETTINGS,
  periodicIntervalSec: 45,
  positionIntervalSec: 60,
  ...s,
})
const T0 = 1_800_000_000_000
const ctx = (c: Partial<AnnouncementContext> = {}): AnnouncementContext => ({
  now: T0,
  joinedAt: T0,
  position: 2,
  estimateSec: 180,
  language: 'sv',
  ...c,
})

t.test('entry: welcome then the first queue message, each once', async (t) => {
  let st = initialAnnounceState()
  t.same(entryPrompts(S(), st), { welcome: ['welcome'], first: ['queue-first'] })
  st = markPlayed(st, 'welcome', ctx())
  st = markPlayed(st, 'first', ctx())
  t.same(entryPrompts(S(), st), { welcome: [], first: [] })
  t.same(entryPrompts(S({ welcomePrompt: '' }), initialAnnounceState()).welcome, [], 'no welcome configured')
})

t.test('position and estimated wait are announced together on entry', async (t) => {
  const a = nextAnnouncement(S(), initialAnnounceState(), ctx())
  t.equal(a?.kind, 'position+wait')
  t.equal(a?.at, T0)
  t.same(a?.prompts, ['position-is', 'num-2', 'wait-is', 'wait-about', 'num-3', 'minutes'])
})

t.test('no basis for an estimate: the position alone, never an empty wait', async (t) => {
  const a = nextAnnouncement(S(), initialAnnounceState(), ctx({ estimateSec: undefined }))
  t.equal(a?.kind, 'position')
  t.same(a?.prompts, ['position-is', 'num-2'])
})

t.test(
  'a timeline over five minutes: periodic every 45 s, position+wait every 60 s, in time order, position first on a tie',
  async (t) => {
    let st: AnnounceState = initialAnnounceState()
    const played: string[] = []
    let now = T0
    for (let i = 0; i < 20; i++) {
      const a = nextAnnouncement(S(), st, ctx({ now }))
      if (!a || a.at > T0 + 300_000) break
      now = Math.max(now, a.at)
      played.push(`${(now - T0) / 1000}:${a.kind}`)
      st = markPlayed(st, a.kind, ctx({ now }))
    }
    t.same(played, [
      '0:position+wait',
      '45:periodic',
      '60:position+wait',
      '90:periodic',
      '120:position+wait',
      '135:periodic',
      '180:position+wait',
      '180:periodic',
      '225:periodic',
      '240:position+wait',
      '270:periodic',
      '300:position+wait',
    ])
  },
)

t.test('positionOnlyWhenChanged: an unchanged position is a silent re-check, a changed one is spoken', async (t) => {
  const s = S({ positionOnlyWhenChanged: true, announceWait: false, periodicPrompt: '' })
  let st = markPlayed(initialAnnounceState(), 'position', ctx({ position: 3 }))
  const same = nextAnnouncement(s, st, ctx({ now: T0 + 61_000, position: 3 }))
  t.same(same?.prompts, [], 'nothing to say')
  t.equal(same?.at, T0 + 120_000, 'look again at the next boundary')
  const changed = nextAnnouncement(s, st, ctx({ now: T0 + 61_000, position: 1 }))
  t.same(changed?.prompts, ['position-is', 'num-1'])
  t.equal(changed?.at, T0 + 60_000)
  st = markPlayed(st, 'position', ctx({ now: T0 + 61_000, position: 1 }))
  t.equal(st.lastPositionSaid, 1)
})

t.test('nothing configured: nothing planned', async (t) => {
  const s = S({ announcePosition: false, announceWait: false, periodicPrompt: '' })
  t.equal(nextAnnouncement(s, initialAnnounceState(), ctx()), undefined)
})

t.test('English wording comes from the English tables', async (t) => {
  const a = nextAnnouncement(S(), initialAnnounceState(), ctx({ language: 'en', position: 21, estimateSec: 30 }))
  t.same(a?.prompts.slice(-2), ['wait-is', 'wait-less-than-a-minute'])
})

t.test('the state survives a restart through its channel-variable form', async (t) => {
  let st = initialAnnounceState()
  st = markPlayed(st, 'welcome', ctx())
  st = markPlayed(st, 'first', ctx())
  st = markPlayed(st, 'position+wait', ctx({ now: T0 + 5000, position: 4 }))
  st = markPlayed(st, 'periodic', ctx({ now: T0 + 45_000 }))
  const text = encodeAnnounceState(st)
  t.match(text, /^v1:wf:/)
  t.notMatch(text, /[ |,{}=]/, 'safe as a uuid_setvar value')
  t.same(decodeAnnounceState(text), st)
  t.same(decodeAnnounceState(undefined), initialAnnounceState())
  t.same(decodeAnnounceState('garbage%'), initialAnnounceState(), 'never throws on a bad value')
  t.same(decodeAnnounceState('v1:w:x:::'), { ...initialAnnounceState(), welcomeDone: true })
})
