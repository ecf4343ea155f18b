/** Prompt upload (sox), the SSE stream, the OpenAPI document, Prometheus metrics. */
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { buildRoutes } from '../../src/api/plugins/index.js'
import { call, tinyWav, world } from './fixture.js'
import type { CenterStatus } from '../../src/core/engine/status.js'

const hasSox = (() => {
  try {
    execFileSync('sox', ['--version'])
    return true
  } catch {
    return false
  }
})()

t.test(
  'prompt upload: converted to 8 kHz mono WAV; empty or bad file → 400 and nothing replaced; sox missing → 500',
  { skip: !hasSox && !process.env.CI && 'sox not installed' },
  async (t) => {
    const w = await world()
    t.teardown(() => w.close())
    // a 16 kHz stereo WAV made by sox, so conversion really has work to do
    const src = execFileSync('sox', [
      '-n',
      '-r',
      '16000',
      '-c',
      '2',
      '-b',
      '16',
      '-t',
      'wav',
      '-',
      'synth',
      '0.3',
      'sine',
      '440',
      'gain',
      '-20',
    ])
    const up = await call(w.url, 'POST', '/api/v1/prompts/upload?queue=qa&language=sv&name=welcome', {
      token: w.tokens.adminA,
      raw: src,
      contentType: 'audio/wav',
    })
    t.equal(up.status, 201, up.text)
    t.match(up.body, { tenantId: 'ta', queueId: 'qa', language: 'sv', name: 'welcome' })
    const info = execFileSync('soxi', [up.body.path]).toString()
    t.match(info, /Channels\s*: 1/)
    t.match(info, /Sample Rate\s*: 8000/)
    t.match(info, /16-bit/)
    const maxAmp = Number(
      /Maximum amplitude:\s*([0-9.]+)/.exec(
        execFileSync('sh', ['-c', `sox "${up.body.path}" -n stat 2>&1`]).toString(),
      )![1],
    )
    t.ok(maxAmp > 0.6 && maxAmp < 0.75, `normalised to about -3 dBFS (peak ${maxAmp})`)
    const before = readFileSync(up.body.path)

    const audio = await fetch(`${w.url}/api/v1/prompts/${up.body.id}/audio`, {
      headers: { authorization: `Bearer ${w.tokens.adminA}` },
    })
    t.equal(audio.headers.get('content-type'), 'audio/wav')
    t.same(Buffer.from(await audio.arrayBuffer()), before)

    const empty = await call(w.url, 'POST', '/api/v1/prompts/upload?queue=qa&language=sv&name=welcome', {
      token: w.tokens.adminA,
      raw: Buffer.alloc(0),
      contentType: 'audio/wav',
    })
    t.equal(empty.status, 400)
    t.match(empty.body.error.message, /empty/)
    const bad = await call(w.url, 'POST', '/api/v1/prompts/upload?queue=qa&language=sv&name=welcome', {
      token: w.tokens.adminA,
      raw: Buffer.from('this is not audio at all'),
      contentType: 'audio/wav',
    })
    t.equal(bad.status, 400)
    t.match(bad.body.error.message, /not audio/)
    t.same(readFileSync(up.body.path), before, 'the prompt file was not replaced')
    t.equal((await w.store.prompts.list('ta')).length, 1)
    t.equal((await w.store.prompts.list('ta'))[0].id, up.body.id, 'the prompt record was not replaced')

    const noName = await call(w.url, 'POST', '/api/v1/prompts/upload?language=sv', {
      token: w.tokens.adminA,
      raw: src,
      contentType: 'audio/wav',
    })
    t.equal(noName.body.error.field, 'name')
    const json = await call(w.url, 'POST', '/api/v1/prompts/upload?language=sv&name=welcome', {
      token: w.tokens.adminA,
      body: {},
    })
    t.equal(json.status, 415)

    const replaced = await call(w.url, 'POST', '/api/v1/prompts/upload?queue=qa&language=sv&name=welcome', {
      token: w.tokens.adminA,
      raw: tinyWav(),
      contentType: 'audio/wav',
    })
    t.equal(replaced.status, 201)
    t.equal((await w.store.prompts.list('ta')).length, 1, 'replaced, not added')

    t.equal(
      (await call(w.url, 'DELETE', `/api/v1/prompts/${replaced.body.id}`, { token: w.tokens.adminA })).status,
      204,
    )
    t.notOk(existsSync(replaced.body.path), 'file removed with the prompt')

    const { startApiServer } = await import('../../src/api/server.js')
    const noSox = await startApiServer({
      store: w.store,
      live: w.live,
      promptDir: w.promptDir,
      soxPath: '/nonexistent/sox',
    })
    t.teardown(() => noSox.close())
    const missing = await call(noSox.url, 'POST', '/api/v1/prompts/upload?language=sv&name=closed', {
      token: w.tokens.adminA,
      raw: src,
      contentType: 'audio/wav',
    })
    t.equal(missing.status, 500)
    t.equal(missing.body.error.code, 'SOX_MISSING')
    t.match(missing.body.error.message, /sox is not installed/)
  },
)

t.test('SSE: a status event at once and after each change, narrowed to the account', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const ac = new AbortController()
  t.teardown(() => ac.abort())
  const res = await fetch(`${w.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${w.tokens.agentA}` },
    signal: ac.signal,
  })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type')!, /text\/event-stream/)
  const reader = res.body!.getReader()
  let buf = ''
  const nextEvent = async (): Promise<{ event: string; data: CenterStatus }> => {
    for (;;) {
      const i = buf.indexOf('\n\n')
      if (i >= 0) {
        const block = buf.slice(0, i)
        buf = buf.slice(i + 2)
        if (block.startsWith(':')) continue
        const event = /^event: (.*)$/m.exec(block)![1]
        return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]) }
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('stream ended')
      buf += Buffer.from(value).toString()
    }
  }
  const first = await nextEvent()
  t.equal(first.event, 'status')
  t.same(
    first.data.queues.map((q: { queueId: string }) => q.queueId),
    ['qa'],
    'an agent sees its queues only',
  )
  t.same(
    first.data.agents.map((a: { agentId: string }) => a.agentId),
    ['aa'],
    'and itself',
  )
  t.equal(w.live.changes.size, 1, 'subscribed')
  await call(w.url, 'POST', '/api/v1/agents/aa/login', { token: w.tokens.agentA })
  const second = await nextEvent()
  t.equal(second.data.agents[0].state, 'free', 'pushed after the change')
  ac.abort()
  // the server hears the socket close when it does (later under load): wait for that, not a fixed time
  await new Promise<void>((resolve) => {
    const check = (): void => void (w.live.changes.size === 0 ? resolve() : setImmediate(check))
    check()
  })
  t.equal(w.live.changes.size, 0, 'unsubscribed when the client goes away')
})

t.test('OpenAPI: generated from the route table', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const doc = await call(w.url, 'GET', '/api/openapi.json')
  t.equal(doc.status, 200, 'served without authentication')
  t.equal(doc.body.openapi, '3.0.3')
  const ops = Object.values(doc.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) =>
    Object.values(p).map((o) => o.operationId),
  )
  t.same(
    ops.sort(),
    buildRoutes()
      .map((r) => r.id)
      .sort(),
    'every route is described',
  )
  const patch = doc.body.paths['/api/v1/queues/{queueId}'].patch
  t.equal(
    patch.requestBody.content['application/json'].schema.properties.settings.properties.ringTimeSec.maximum,
    300,
    'request schemas are the validation schemas',
  )
  t.match(patch.description, /Access: Operators, and tenant administrators/)
})

t.test('metrics: prom-client registry fed by the engine hooks', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const m = w.metrics
  m.setEslConnected(true)
  m.observeEvent(
    {
      type: 'call-arrived',
      callId: 'c1',
      queueNumber: '5000',
      tenantDomain: 'a.example',
      callerNumber: '1',
      callerName: '',
    },
    1000,
    999,
  )
  m.observeCommands(
    [
      {
        type: 'originate',
        callId: 'c1',
        offerId: 'o1',
        legs: [{ legId: 'l1', agentId: 'aa', dialString: 'user/1001', confirm: false, whisper: false }],
        timeoutSec: 20,
        callerIdName: '',
        callerIdNumber: '',
        queueId: 'qa',
      },
    ],
    1250,
  )
  m.observeCommands([{ type: 'bridge', callId: 'c1', legId: 'l1' }], 5000)
  m.observeStatus({
    queues: [{ queueId: 'qa', number: '5000', waiting: 3 }],
    agents: [{ state: 'free' }, { state: 'free' }, { state: 'on-call' }],
  })
  const res = await fetch(`${w.url}/metrics`)
  const text = await res.text()
  t.equal(res.status, 200)
  t.match(text, /koplus_esl_connected 1/)
  t.match(text, /koplus_offers_total\{queue="qa"\} 1/)
  t.match(text, /koplus_answers_total 1/)
  t.match(text, /koplus_arrival_to_first_ring_seconds_sum 0\.25/)
  t.match(text, /koplus_arrival_to_first_ring_seconds_count 1/)
  t.match(text, /koplus_queue_waiting_callers\{queue="qa"\} 3/, 'labelled by queue id')
  t.match(text, /koplus_agents\{state="free"\} 2/)
  t.match(text, /koplus_event_processing_lag_seconds_sum 0\.001/)
})
