/** Spoken prompts: the catalogue of prompt ids, numbers from recorded words, and phrases. */
export * from './catalogue.js'
export * from './numbers.js'
export * from './phrases.js'
