export * from './admission.js'
export * from './announcements.js'
