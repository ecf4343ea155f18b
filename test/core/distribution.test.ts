import t from 'tap'
import {
  bestSkilledAgent,
  chooseAgents,
  longestIdleAgent,
  longestIdleAgents,
  meetsSkills,
  skillScore,
} from '../../src/core/distribution/index.js'
import { DEFAULT_QUEUE_SETTINGS } from '../../src/core/model.js'

const A = (id: string, idleSince: number, skills: Record<string, number> = {}) => ({ id, idleSince, skills })

t.test('longest idle', async (t) => {
  t.equal(longestIdleAgent([A('a', 30), A('b', 10), A('c', 20)])!.id, 'b')
  t.equal(longestIdleAgent([A('b', 10), A('a', 10)])!.id, 'a', 'ties by id: deterministic')
  t.equal(longestIdleAgent([]), undefined)
  t.same(
    longestIdleAgents([A('a', 30), A('b', 10), A('c', 20)], 2).map((a) => a.id),
    ['b', 'c'],
  )
  t.same(
    longestIdleAgents([A('a', 30)], 3).map((a) => a.id),
    ['a'],
    'fewer free than N: all of them',
  )
})

t.test('skills', async (t) => {
  const req = { sv: 3, billing: 2 }
  t.ok(meetsSkills(A('a', 0, { sv: 3, billing: 2 }), req))
  t.notOk(meetsSkills(A('a', 0, { sv: 3 }), req))
  t.equal(skillScore(A('a', 0, { sv: 3, billing: 2, other: 9 }), req), 5, 'only required skills count')
  const free = [A('low', 0, { sv: 3, billing: 2 }), A('high', 50, { sv: 8, billing: 7 }), A('none', 0, { sv: 10 })]
  t.equal(bestSkilledAgent(free, req, false)!.id, 'high')
  t.equal(
    bestSkilledAgent([A('x', 5, { sv: 4, billing: 4 }), A('y', 1, { sv: 5, billing: 3 })], req, false)!.id,
    'y',
    'tie on score: longest idle',
  )
  t.equal(bestSkilledAgent([A('none', 0, { sv: 10 })], req, false), undefined)
  t.equal(bestSkilledAgent([A('none', 0, { sv: 10 })], req, true)!.id, 'none', 'widened: anyone')
  const s = { ...DEFAULT_QUEUE_SETTINGS, strategy: 'skills' as const, requiredSkills: req, widenSkillsAfterSec: 30 }
  t.same(chooseAgents(s, [A('none', 0, { sv: 10 })], 29), [])
  t.same(
    chooseAgents(s, [A('none', 0, { sv: 10 })], 30).map((a) => a.id),
    ['none'],
  )
  t.same(
    chooseAgents({ ...s, strategy: 'ring-parallel', parallelCount: 2 }, [A('a', 3), A('b', 1), A('c', 2)], 0).map(
      (a) => a.id,
    ),
    ['b', 'c'],
  )
  t.same(
    chooseAgents({ ...s, strategy: 'longest-idle' }, [A('a', 3), A('b', 1)], 0).map((a) => a.id),
    ['b'],
  )
})
