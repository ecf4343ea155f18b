import t from 'tap'
import { addOne, deleteOne, hasOne, membersOf, sizeOf, type OneOrMany } from '../../src/util/one-or-many.js'

t.test('one member is the string itself; a Set only from the second', async (t) => {
  let s: OneOrMany | undefined = addOne(undefined, 'a')
  t.equal(s, 'a')
  t.equal(addOne(s, 'a'), 'a', 'adding the member again changes nothing')
  s = addOne(s, 'b')
  t.ok(s instanceof Set)
  t.same(membersOf(s), ['a', 'b'])
  t.equal(sizeOf(s), 2)
  t.ok(hasOne(s, 'b'))
  t.notOk(hasOne(s, 'c'))
  s = addOne(s, 'c')
  s = deleteOne(s, 'a')
  t.same(membersOf(s), ['b', 'c'])
  s = deleteOne(s, 'c')
  t.equal(s, 'b', 'a Set left with one member becomes that string')
  t.equal(deleteOne(s, 'x'), 'b', 'deleting what is not there changes nothing')
  t.equal(deleteOne(s, 'b'), undefined, 'empty')
})

t.test('the empty set', async (t) => {
  t.equal(sizeOf(undefined), 0)
  t.notOk(hasOne(undefined, ''))
  t.same(membersOf(undefined), [])
  t.equal(deleteOne(undefined, 'a'), undefined)
  t.equal(addOne(undefined, ''), '', 'the empty string is a member like any other')
  t.ok(hasOne('', ''))
  t.equal(deleteOne('', ''), undefined)
})

t.test('agrees with a Set over a random run of adds and deletes', async (t) => {
  let seed = 13
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n
  let mine: OneOrMany | undefined
  const ref = new Set<string>()
  let sizes = 0
  for (let i = 0; i < 2000; i++) {
    const x = String(rnd(4))
    if (rnd(2)) {
      mine = addOne(mine, x)
      ref.add(x)
    } else {
      mine = deleteOne(mine, x)
      ref.delete(x)
    }
    if (sizeOf(mine) !== ref.size || membersOf(mine).join() !== [...ref].join()) {
      t.fail(`step ${i}: ${membersOf(mine).join()} against ${[...ref].join()}`)
      return
    }
    if (ref.size === 1 && typeof mine !== 'string') t.fail(`step ${i}: one member kept in a Set`)
    sizes |= 1 << ref.size
  }
  t.equal(sizes, 0b11111, 'the run went through every size from 0 to 4')
})
