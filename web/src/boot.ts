// Placeholder entry so the web build has an input until the pages land; replaced by the web pages' own modules.
export const KOPLUS_WEB = true
