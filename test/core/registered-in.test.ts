/**
 * A single-tenant install takes a registration of the agent's SIP user in any domain (FreeSWITCH's domain is
 * often its IP address, the built-in tenant's is 'default'): the engine counts, per user, the domains it is
 * registered in (EngineState.registeredIn, a count since issue 13's memory work). Refreshes must not count twice,
 * and an unregister of a domain it never held must not count down.
 */
import t from 'tap'
import { agent, config, Harness, queue } from './harness.js'

const registered = (h: Harness): boolean | undefined => h.status().agents.find((a) => a.agentId === 'a1')!.registered

t.test('registered in two other domains, refreshed: unregistered only once both are gone', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  const reg = (domain: string, on: boolean): void => {
    h.send({ type: 'registration', sipUser: 'A1', domain, registered: on })
  }
  t.equal(registered(h), false)
  reg('10.0.0.1', true)
  reg('10.0.0.1', true) // a refresh
  reg('10.0.0.1', true)
  reg('pbx.example', true)
  t.equal(registered(h), true)
  reg('elsewhere.example', false) // never registered there
  reg('10.0.0.1', false)
  t.equal(registered(h), true, 'still registered in the other domain, whatever the refreshes counted')
  reg('PBX.example', false)
  t.equal(registered(h), false, 'both gone')
  reg('pbx.example', false)
  reg('10.0.0.1', true)
  t.equal(registered(h), true, 'an extra unregister did not count below zero')
})
