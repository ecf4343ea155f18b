/**
 * Accounts (passwords, API tokens, web sessions) and the audit trail on SQLite and PostgreSQL: the same records,
 * errors and order on both; an audit entry written in a transaction goes with it.
 */
import t from 'tap'
import type { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { storeBackends } from '../helpers/store-backends.js'
import { storeError } from '../helpers/store-error.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const backends = await storeBackends(t)

/** A tenant 'acme' and agents 'anna' (default tenant) and 'eve' (acme), with plain SQL. */
async function seed(store: Store): Promise<void> {
  await store.db.run("INSERT INTO tenants (id, name, domain, created_at) VALUES ('acme', 'Acme', 'acme.example', 1)")
  await store.db.run(
    "INSERT INTO agents (id, tenant_id, extension, name, plan, created_at) VALUES ('anna', 'default', '1001', 'Anna', 'pro', 1)",
  )
  await store.db.run(
    "INSERT INTO agents (id, tenant_id, extension, name, plan, created_at) VALUES ('eve', 'acme', '2001', 'Eve', 'pro', 1)",
  )
}

for (const b of backends) {
  t.test(
    `${b.name}: accounts: roles checked, duplicates refused, passwords verified, listed by username`,
    async (t) => {
      const clock = new VirtualClock(T0)
      const store = await b.openStore(t, { clock })
      await seed(store)
      const { accounts } = store
      const op = await accounts.create({ id: 'u_op', username: 'eva', password: 'correct horse', role: 'operator' })
      t.strictSame(op, {
        id: 'u_op',
        username: 'eva',
        role: 'operator',
        tenantId: null,
        agentId: null,
        createdAt: T0,
        updatedAt: T0,
      })
      const ag = await accounts.create({ username: 'Anna', password: 'battery staple', role: 'agent', agentId: 'anna' })
      t.equal(ag.tenantId, 'default', "an agent account takes its agent's tenant")
      const adm = await accounts.create({
        username: 'boss',
        password: 'acme-admin-1',
        role: 'tenant-admin',
        tenantId: 'acme',
      })
      t.equal(adm.tenantId, 'acme')

      const dup = await storeError(t, accounts.create({ username: 'eva', password: 'whatever123', role: 'operator' }))
      t.same(
        [dup.code, dup.field, dup.message],
        ['KOPLUS_STORE_DUPLICATE', 'account.username', "account username 'eva' already exists"],
      )
      t.equal(
        (
          await storeError(
            t,
            accounts.create({ id: 'u_op', username: 'other', password: 'whatever123', role: 'operator' }),
          )
        ).field,
        'account.id',
      )
      t.equal(
        (await storeError(t, accounts.create({ username: 'adm', password: 'whatever123', role: 'tenant-admin' })))
          .field,
        'account.tenantId',
      )
      t.equal(
        (await storeError(t, accounts.create({ username: 'x1', password: 'short', role: 'operator' }))).field,
        'account.password',
      )
      t.equal(
        (
          await storeError(
            t,
            accounts.create({
              username: 'x2',
              password: 'whatever123',
              role: 'agent',
              agentId: 'eve',
              tenantId: 'default',
            }),
          )
        ).message,
        "account.tenantId: agent 'eve' is in tenant acme",
      )
      t.equal(
        (
          await storeError(
            t,
            accounts.create({ username: 'x3', password: 'whatever123', role: 'agent', agentId: 'ghost' }),
          )
        ).code,
        'KOPLUS_STORE_NOT_FOUND',
      )
      t.equal(
        (
          await storeError(
            t,
            accounts.create({ username: 'x4', password: 'whatever123', role: 'tenant-admin', tenantId: 'nope' }),
          )
        ).code,
        'KOPLUS_STORE_NOT_FOUND',
      )

      t.strictSame(
        (await accounts.list()).map((a) => a.username),
        ['Anna', 'boss', 'eva'],
        'byte order on both engines (capitals first)',
      )
      t.strictSame(
        (await accounts.list('acme')).map((a) => a.username),
        ['boss'],
      )
      t.equal((await accounts.getByUsername('eva'))?.id, 'u_op')
      t.equal(await accounts.find('nobody'), undefined)
      t.equal((await storeError(t, accounts.get('nobody'))).code, 'KOPLUS_STORE_NOT_FOUND')

      t.equal((await accounts.authenticate('eva', 'correct horse'))?.id, 'u_op')
      t.equal(await accounts.authenticate('eva', 'wrong'), undefined)
      t.equal(await accounts.authenticate('nobody', 'correct horse'), undefined)
      t.equal((await accounts.authenticateAsync('eva', 'correct horse'))?.id, 'u_op')
      clock.advance(1000)
      await accounts.setPassword('u_op', 'new password!')
      t.equal(await accounts.authenticateAsync('eva', 'correct horse'), undefined)
      t.equal((await accounts.authenticateAsync('eva', 'new password!'))?.updatedAt, T0 + 1000)
      t.equal((await storeError(t, accounts.setPassword('nobody', 'new password!'))).code, 'KOPLUS_STORE_NOT_FOUND')
      await accounts.remove(ag.id)
      t.equal(await accounts.find(ag.id), undefined)
      t.equal((await storeError(t, accounts.remove(ag.id))).code, 'KOPLUS_STORE_NOT_FOUND')
    },
  )

  t.test(`${b.name}: two creates of one username at once: one account, the other a DUPLICATE`, async (t) => {
    const store = await b.openStore(t)
    const results = await Promise.allSettled(
      ['u_1', 'u_2', 'u_3'].map((id) =>
        store.accounts.create({ id, username: 'same', password: 'correct horse', role: 'operator' }),
      ),
    )
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one created')
    for (const r of results.filter((r) => r.status === 'rejected'))
      t.match(r.reason, { code: 'KOPLUS_STORE_DUPLICATE', field: 'account.username' })
    t.equal((await store.accounts.list()).length, 1)
  })

  t.test(`${b.name}: API tokens and web sessions: hashed, expiring, removed with their account`, async (t) => {
    const clock = new VirtualClock(T0)
    const store = await b.openStore(t, { clock })
    const { accounts } = store
    const op = await accounts.create({ username: 'eva', password: 'correct horse', role: 'operator' })
    const { id, token } = await accounts.createToken(op.id, 'cli', T0 + 60_000)
    t.match(token, /^kp_/)
    t.equal(await store.db.get('SELECT 1 AS x FROM api_tokens WHERE token_hash = ?', [token]), undefined, 'not stored')
    t.equal((await accounts.tokenAccount(token))?.username, 'eva')
    t.strictSame(await accounts.listTokens(op.id), [
      { id, name: 'cli', createdAt: T0, expiresAt: T0 + 60_000, lastUsedAt: null },
    ])
    clock.advance(1000)
    t.equal((await accounts.verifyToken(token))?.username, 'eva')
    t.equal((await accounts.listTokens(op.id))[0].lastUsedAt, T0 + 1000, 'marked used')
    t.equal(await accounts.verifyToken(token + 'x'), undefined)
    t.equal(await accounts.verifyToken('short'), undefined)
    t.equal(await accounts.verifyToken(token, T0 + 60_000), undefined, 'expired')
    await accounts.revokeToken(id)
    t.equal(await accounts.tokenAccount(token), undefined)
    t.equal((await storeError(t, accounts.revokeToken(id))).code, 'KOPLUS_STORE_NOT_FOUND')
    t.equal((await storeError(t, accounts.createToken('nobody', 'x'))).code, 'KOPLUS_STORE_NOT_FOUND')

    const s1 = await accounts.createSession(op.id, 10_000)
    const s2 = await accounts.createSession(op.id, 60_000)
    t.equal(s1.expiresAt, T0 + 1000 + 10_000)
    t.match(await accounts.getSession(s1.sessionId), { account: { id: op.id }, csrfToken: s1.csrfToken })
    t.equal(await accounts.getSession(s1.sessionId, s1.expiresAt), undefined, 'expired')
    t.equal((await storeError(t, accounts.createSession(op.id, 10))).field, 'session.ttlMs')
    t.equal(await accounts.purgeSessions(s1.expiresAt), 1)
    t.equal(await accounts.purgeSessions(s1.expiresAt), 0)
    await accounts.endSession(s2.sessionId)
    t.equal(await accounts.getSession(s2.sessionId), undefined)
    const s3 = await accounts.createSession(op.id, 60_000)
    await accounts.createToken(op.id, 'ci')
    await accounts.remove(op.id)
    t.equal(await accounts.getSession(s3.sessionId), undefined)
    t.strictSame(await accounts.listTokens(op.id), [], 'tokens and sessions go with the account')
  })

  t.test(`${b.name}: audit: newest first, filtered, and in one transaction with the change`, async (t) => {
    const clock = new VirtualClock(T0)
    const store = await b.openStore(t, { clock })
    const first = await store.audit.record({
      actor: 'operator:eva',
      action: 'close',
      entity: 'closure',
      entityId: 'cl1',
      tenantId: 'default',
      detail: { reason: 'storm', queues: ['q1'] },
    })
    await store.audit.record({ at: T0 + 5, actor: 'cli', action: 'create', entity: 'queue', entityId: 'q1' })
    await store.audit.record({ at: T0 + 5, actor: 'system', action: 'update', entity: 'queue', entityId: 'q1' })
    t.equal(typeof first, 'number')
    t.strictSame(
      (await store.audit.list()).map((a) => [a.at, a.actor, a.action]),
      [
        [T0 + 5, 'system', 'update'],
        [T0 + 5, 'cli', 'create'],
        [T0, 'operator:eva', 'close'],
      ],
      'newest first, later id first at the same instant',
    )
    t.strictSame(await store.audit.list({ entity: 'closure' }), [
      {
        id: first,
        at: T0,
        actor: 'operator:eva',
        tenantId: 'default',
        action: 'close',
        entity: 'closure',
        entityId: 'cl1',
        detail: { reason: 'storm', queues: ['q1'] },
      },
    ])
    t.equal((await store.audit.list({ tenantId: 'default' })).length, 1)
    t.equal((await store.audit.list({ entityId: 'q1', since: T0 + 1, limit: 1 })).length, 1)
    t.equal((await storeError(t, store.audit.record({ actor: '', action: 'x', entity: 'y' }))).field, 'audit.actor')

    await t.rejects(
      store.tx(async (s) => {
        await s.audit.record({ actor: 'cli', action: 'remove', entity: 'queue', entityId: 'q1' })
        throw new Error('the change failed')
      }),
      /the change failed/,
    )
    t.equal((await store.audit.list()).length, 3, 'nothing recorded for a rolled-back change')
  })
}
