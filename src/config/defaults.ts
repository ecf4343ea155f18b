/**
 * Defaults the shell shares (CLI, daemon, API) that are not config keys (those are in ./spec.ts).
 * The engine (src/core) keeps its own copies, since it imports nothing outside core; test/config/defaults.test.ts
 * holds them equal.
 */

/** The zone times are shown and typed in when no queue's schedule names one (the schedule default). */
export const DEFAULT_TIME_ZONE = 'Europe/Stockholm'
