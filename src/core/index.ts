/** The pure call-centre core: model, events in, commands out, and the engine. */
export * from './model.js'
export type * from './events.js'
export type * from './commands.js'
export * from './distribution/index.js'
export * from './engine/call-center.js'
export * from './engine/feature-codes.js'
export type * from './engine/status.js'
