import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import {
  captureFrames,
  captureTx,
  events,
  headerSkeleton,
  normUuids,
  RawEsl,
  replySkeleton,
  replayTx,
} from './capture-helpers.js'
import type { EslFrame } from '../../src/freeswitch/esl/parser.js'

async function run(name: string, setup?: (sim: FreeSwitchSimulator) => void) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 25, 17, 41, 48))
  const sim = new FreeSwitchSimulator({ clock })
  setup?.(sim)
  const port = await sim.listen(0)
  const esl = new RawEsl(port)
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'auth/request')
  await replayTx(esl, clock, captureTx(name))
  await sim.close()
  return { sim, frames: esl.frames }
}

const apiBodies = (frames: EslFrame[]) =>
  frames.filter((f) => f.headers['Content-Type'] === 'api/response').map((f) => normUuids(f.body!.toString()))

for (const fmt of ['plain', 'json']) {
  t.test(`authfail (${fmt}): -ERR invalid, disconnect notice, socket closed`, async (t) => {
    const name = `inbound-authfail.${fmt}`
    const { frames } = await run(name)
    const real = captureFrames(name)
    t.same(replySkeleton(frames), replySkeleton(real))
    t.equal(frames.at(-1)?.body?.toString(), real.at(-1)?.body?.toString(), 'same disconnect text')
  })

  t.test(`apierror (${fmt}): error texts and API events as FreeSWITCH words them`, async (t) => {
    const name = `inbound-apierror.${fmt}`
    const { frames } = await run(name)
    const real = captureFrames(name)
    t.same(replySkeleton(frames), replySkeleton(real))
    t.same(apiBodies(frames), apiBodies(real))
    const simApi = events(frames).filter((e) => e.name === 'API')
    const realApi = events(real).filter((e) => e.name === 'API')
    t.same(simApi.map(headerSkeleton), realApi.map(headerSkeleton))
    t.same(
      simApi.map((e) => e.get('API-Command-Argument')),
      realApi.map((e) => e.get('API-Command-Argument')),
    )
  })

  t.test(`bgapi (${fmt}): Job-UUID replies, client Job-UUID honoured, BACKGROUND_JOB bodies`, async (t) => {
    const name = `inbound-bgapi.${fmt}`
    const { frames } = await run(name)
    const real = captureFrames(name)
    t.same(replySkeleton(frames), replySkeleton(real))
    const jobs = (fr: EslFrame[]) => events(fr).filter((e) => e.name === 'BACKGROUND_JOB')
    t.same(jobs(frames).map(headerSkeleton), jobs(real).map(headerSkeleton))
    t.same(
      jobs(frames).map((e) => e.get('Job-Command')),
      jobs(real).map((e) => e.get('Job-Command')),
    )
    t.equal(jobs(frames)[1].body, '-ERR USER_BUSY\n')
    t.equal(jobs(frames)[2].body, jobs(real)[2].body, 'version text')
    const chosen = /Job-UUID: (\S+)/.exec(
      captureTx(name)
        .map((x) => x.text)
        .join(''),
    )![1]
    t.equal(jobs(frames)[2].get('Job-UUID'), chosen, 'client-chosen Job-UUID')
    t.match(jobs(frames)[0].body, /^UP 0 years, .*\nFreeSWITCH \(Version 1\.10\.12-release/)
  })

  t.test(`misc (${fmt}): log/nolog, filter, noevents, event subset, echo, eval`, async (t) => {
    const name = `inbound-misc.${fmt}`
    const { frames } = await run(name)
    const real = captureFrames(name)
    t.same(replySkeleton(frames), replySkeleton(real))
    const bodies = apiBodies(frames)
    const realBodies = apiBodies(real)
    t.equal(bodies[1], realBodies[1], 'show channels with none')
    t.same(bodies.slice(3), realBodies.slice(3), 'reloadxml, echo, eval')
  })
}

t.test('plain framing: Content-Length counts the trailing blank line; json has no trailing newline', async (t) => {
  const clock = new VirtualClock()
  const sim = new FreeSwitchSimulator({ clock })
  const port = await sim.listen(0)
  const esl = new RawEsl(port)
  await esl.command('auth ClueCon')
  await esl.command('event plain ALL')
  const raw: Buffer[] = []
  esl.socket.on('data', (d) => raw.push(d))
  await esl.command('bgapi version')
  await esl.waitFrame((f) => String(f.body).includes('Event-Name: BACKGROUND_JOB'))
  const text = Buffer.concat(raw).toString()
  const m = /Content-Length: (\d+)\nContent-Type: text\/event-plain\n\n/.exec(text)!
  const body = text.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]))
  t.match(body, /^Event-Name: API\n/)
  t.ok(body.endsWith('\n\n'), 'ends with the blank line')
  t.match(body, /Event-Date-GMT: \w+,%20\d+%20\w+%20\d{4}%20\d\d%3A\d\d%3A\d\d%20GMT\n/, 'url-encoded values')
  await esl.command('noevents')
  await esl.command('event json BACKGROUND_JOB')
  const from = esl.frames.length
  await esl.command('bgapi echo hi%20there')
  const job = await esl.waitFrame((f) => f.headers['Content-Type'] === 'text/event-json', from)
  const json = job.body!.toString()
  t.ok(json.endsWith('}'), 'no trailing newline')
  const obj = JSON.parse(json) as Record<string, unknown>
  t.ok(
    Object.values(obj).every((v) => typeof v === 'string'),
    'every value a string',
  )
  t.equal(obj._body, 'hi%20there')
  t.equal(obj['Content-Length'], '10')
  esl.end()
  await sim.close()
})
