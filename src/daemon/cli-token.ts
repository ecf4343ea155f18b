/**
 * The local operator token for the CLI: at start-up the daemon makes sure a system operator account exists
 * (username 'koplus-cli', a random password nobody knows), replaces its 'cli-token' API token with a new one and
 * writes the secret to <data dir>/cli-token with mode 0640: readable by the daemon's group (`koplus` in the production
 * install), so operators in that group can use the CLI. The CLI reads that file. The secret is never logged.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { newSecret } from '../api/auth.js'
import { CLI_ACCOUNT, CLI_TOKEN_FILE } from '../config/data-dir.js'
import type { Store } from '../store/index.js'

export { CLI_ACCOUNT, CLI_TOKEN_FILE }

/** Create/rotate the CLI token and write it to <dataDir>/cli-token (0640). Returns the file path. */
export async function writeCliToken(store: Store, dataDir: string): Promise<string> {
  const account =
    (await store.accounts.getByUsername(CLI_ACCOUNT)) ??
    (await store.accounts.create({
      username: CLI_ACCOUNT,
      role: 'operator',
      tenantId: null,
      agentId: null,
      password: newSecret(),
    }))
  const secret = await store.tx(async (s) => {
    for (const t of await s.accounts.listTokens(account.id))
      if (t.name === CLI_TOKEN_FILE) await s.accounts.revokeToken(t.id)
    return (await s.accounts.createToken(account.id, CLI_TOKEN_FILE, null)).token
  })
  await mkdir(dataDir, { recursive: true })
  const path = join(dataDir, CLI_TOKEN_FILE)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, secret + '\n', { mode: 0o600 })
  await chmod(tmp, 0o640)
  await rename(tmp, path)
  return path
}
