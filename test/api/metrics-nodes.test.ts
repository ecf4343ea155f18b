/** /metrics per FreeSWITCH node (issue 12 part 3): series labelled `node`, and promtool finds nothing to complain about. */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { KoplusMetrics } from '../../src/api/metrics.js'

t.test('each node gets connected / lost / calls / registrations series labelled with its id', async (t) => {
  const m = new KoplusMetrics()
  let nodes = [
    { id: 'a', connected: false, lost: true, calls: 0, registrations: 0 },
    { id: 'b', connected: true, lost: false, calls: 3, registrations: 12 },
  ]
  m.bindSource({ status: () => ({}), eslConnected: () => false, freeswitchNodes: () => nodes })
  let body = (await m.render()).body
  t.match(body, /^koplus_freeswitch_node_connected\{node="a"\} 0$/m)
  t.match(body, /^koplus_freeswitch_node_connected\{node="b"\} 1$/m)
  t.match(body, /^koplus_freeswitch_node_lost\{node="a"\} 1$/m)
  t.match(body, /^koplus_freeswitch_node_calls\{node="b"\} 3$/m)
  t.match(body, /^koplus_freeswitch_node_registrations\{node="b"\} 12$/m)
  t.match(body, /^koplus_esl_connected 0$/m, 'the overall gauge: not every node is connected')
  nodes = [{ id: 'b', connected: true, lost: false, calls: 1, registrations: 12 }]
  body = (await m.render()).body
  t.notMatch(body, /node="a"/, 'a node no longer configured leaves no stale series')
  t.match(body, /^koplus_freeswitch_node_calls\{node="b"\} 1$/m)
  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
  if (promtool.error) t.comment('promtool not installed; exposition not checked')
  else t.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`)
})
