/** `koplus status` with several FreeSWITCH nodes: one line per node (issue 12 part 3). */
import t from 'tap'
import { freeswitchNodeLines } from '../../src/cli/commands/status.js'

t.test('one line per node with its state, calls and registrations; nothing extra for one node', async (t) => {
  t.same(
    freeswitchNodeLines([
      {
        id: 'a',
        address: '10.0.0.11:8021',
        connected: false,
        lost: true,
        calls: 0,
        registrations: 0,
        lastError: 'connection refused',
      },
      { id: 'b', address: '10.0.0.12:8021', connected: true, lost: false, calls: 4, registrations: 20 },
      { id: 'c', address: '10.0.0.13:8021', connected: false, lost: false, calls: 2, registrations: 5 },
    ]),
    [
      '  node a (10.0.0.11:8021): LOST, its calls ended, 0 calls, 0 phones registered: connection refused',
      '  node b (10.0.0.12:8021): connected, 4 calls, 20 phones registered',
      '  node c (10.0.0.13:8021): NOT CONNECTED, 2 calls, 5 phones registered',
    ],
  )
  t.same(freeswitchNodeLines([{ id: 'default', address: '127.0.0.1:8021', connected: true }]), [])
  t.same(freeswitchNodeLines(undefined), [])
})
