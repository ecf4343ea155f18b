/**
 * sim.waitFor on the number of ESL connections: a connection opening or closing is no event, yet tests wait on it
 * (a daemon killed with SIGKILL: `sim.waitFor(() => sim.connectionCount === 0)`). With the calls quiet nothing else
 * would re-check the predicate, and the wait timed out (seen in test/integration/rebuild.test.ts under load).
 */
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'

t.test('waitFor sees a connection open and close with no event in between', async (t) => {
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  const port = await sim.listen(0, '127.0.0.1')
  t.teardown(() => sim.close())

  const opened = sim.waitFor(() => sim.connectionCount === 1, 2000, 'the connection opened')
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'data') // auth/request
  await opened
  t.equal(sim.connectionCount, 1, 'one connection')

  const closed = sim.waitFor(() => sim.connectionCount === 0, 2000, 'the connection closed')
  socket.destroy()
  await closed
  t.equal(sim.connectionCount, 0, 'none left')
})
