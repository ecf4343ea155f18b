/** The FreeSWITCH simulator: an Event Socket server with simulated channels, for tests, benchmarks and demos. */
export { FreeSwitchSimulator, SimCall } from './simulator.js'
export type { SimulatorOptions, PlaceCallOptions, SimCallState, OriginateRecord } from './simulator.js'
export type { EndpointBehaviour, SimUser } from './endpoints.js'
export type { HeardItem, Channel } from './channel.js'
export type { SimEvent, Header } from './serialize.js'
export { wavDurationMs, makeWav } from './wav.js'
export { startControlServer } from './control.js'
