#!/usr/bin/env node
// Thin executable: the CLI lives in src/cli (compiled to dist/src/cli).
import('../dist/src/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(1)
  })
