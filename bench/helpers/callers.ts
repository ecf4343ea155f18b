/** Placing benchmark callers on the simulator, registered with the probe before their first event. */
import { randomUUID } from 'node:crypto'
import type { SimCall } from '../../src/simulator/simulator.js'
import type { BenchRig } from './rig.js'

let seq = 0

/** A caller dials queue 5000 from a distinct number. */
export function placeCaller(rig: BenchRig): SimCall {
  const uuid = randomUUID()
  rig.probe.addCaller(uuid)
  seq++
  return rig.sim.placeCall({ to: '5000', from: `07${String(10_000_000 + seq).slice(-8)}`, uuid })
}
