/**
 * NodeRegistrations folds every FreeSWITCH node's registrations into the core's one view; it keeps, per phone,
 * the nodes holding it and the user's keys as one-or-many sets (issue 13: memory per agent). Two nodes, two
 * domains, refreshes and unregisters out of order.
 */
import t from 'tap'
import type { CoreEvent } from '../../src/core/events.js'
import { NodeRegistrations } from '../../src/freeswitch/nodes/node-registrations.js'

t.test('a user on two nodes and in two domains: where, how many, and what the core hears', async (t) => {
  const heard: string[] = []
  const regs = new NodeRegistrations((e: CoreEvent) => {
    if (e.type === 'registration') heard.push(`${e.sipUser}@${e.domain} ${e.registered ? 'up' : 'down'}`)
  })
  const reg = (node: string, sipUser: string, domain: string, registered: boolean): void =>
    regs.registration(node, { type: 'registration', sipUser, domain, registered })

  reg('fs1', '2001', 'a.example', true)
  reg('fs1', '2001', 'a.example', true) // refresh
  reg('fs2', '2001', 'a.example', true)
  reg('fs2', '2001', 'b.example', true)
  reg('fs1', '2002', 'a.example', true)
  t.same(regs.whereRegistered('2001', 'a.example'), ['fs1', 'fs2'])
  t.same(regs.whereRegistered('2001', 'B.example'), ['fs2'])
  t.same(regs.whereRegistered('2001', ''), ['fs1', 'fs2'], 'any domain: each node once')
  t.same(regs.whereRegistered('2001', 'default'), ['fs1', 'fs2'])
  t.same(regs.whereRegistered('2003', ''), [])
  t.equal(regs.countOn('fs1'), 2)
  t.equal(regs.countOn('fs2'), 2)

  reg('fs1', '2001', 'a.example', false)
  t.same(regs.whereRegistered('2001', 'a.example'), ['fs2'])
  t.same(regs.whereRegistered('2001', ''), ['fs2'])
  reg('fs2', '2001', 'a.example', false)
  t.same(regs.whereRegistered('2001', ''), ['fs2'], 'still in b.example on fs2')
  reg('fs2', '2001', 'b.example', false)
  t.same(regs.whereRegistered('2001', ''), [])
  t.equal(regs.countOn('fs2'), 0)
  reg('fs2', '2001', 'b.example', false) // again: nobody holds it
  t.same(
    heard,
    [
      '2001@a.example up',
      '2001@a.example up',
      '2001@a.example up',
      '2001@b.example up',
      '2002@a.example up',
      '2001@a.example down',
      '2001@b.example down',
      '2001@b.example down',
    ],
    'refreshes are passed on; an unregister only once no node holds the phone',
  )
})
