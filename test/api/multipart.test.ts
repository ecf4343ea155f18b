/**
 * Prompt uploads as multipart/form-data (@fastify/multipart): the file part is streamed to a temporary file that
 * sox reads, under the upload cap (413 beyond it, nothing left behind); a form sent to a JSON route is 415. Every
 * answer is checked against the served OpenAPI document (call()).
 */
import t from 'tap'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApiServer } from '../../src/api/server.js'
import { call, tinyWav, world } from './fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-multipart-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const spy = join(dir, 'sox')
const seen = join(dir, 'seen.json')
// a stand-in sox that notes its input file, its size and the type it was told, and copies input to output
writeFileSync(
  spy,
  `#!${process.execPath}
const { copyFileSync, statSync, writeFileSync } = require('node:fs')
const a = process.argv.slice(2)
const input = a[a[0] === '-t' ? 2 : 0]
writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ input, size: statSync(input).size, type: a[0] === '-t' ? a[1] : null }))
copyFileSync(input, a[a.indexOf('signed-integer') + 1])
`,
)
chmodSync(spy, 0o755)

function form(file: Buffer, type: string, field = 'file'): { raw: Buffer; contentType: string } {
  const boundary = 'koplusBoundary7MA4YWxkTrZu0gW'
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="prompt.bin"\r\nContent-Type: ${type}\r\n\r\n`,
  )
  return {
    raw: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  }
}

t.test('a multipart prompt upload is streamed to a file and converted', async (t) => {
  const w = await world({ soxPath: spy })
  t.teardown(() => w.close())
  const api = await startApiServer({
    store: w.store,
    live: w.live,
    now: () => w.now.t,
    promptDir: w.promptDir,
    soxPath: spy,
    maxUploadBytes: 1024 * 1024,
  })
  t.teardown(() => api.close())
  const uploads = (): string[] => readdirSync(w.promptDir).filter((f) => f.startsWith('.upload-'))
  const audio = tinyWav()

  const ok = await call(api.url, 'POST', '/api/v1/prompts/upload?language=sv&name=closed', {
    token: w.tokens.adminA,
    ...form(audio, 'audio/mpeg'),
  })
  t.equal(ok.status, 201, ok.text)
  const s = JSON.parse(readFileSync(seen, 'utf8')) as { input: string; size: number; type: string | null }
  t.equal(s.size, audio.length, 'sox read exactly the file part, not the form around it')
  t.ok(s.input.startsWith(join(w.promptDir, '.upload-')), 'from a temporary file in the prompt directory')
  t.equal(s.type, 'mp3', "the part's own content type tells sox the format")
  t.same(uploads(), [], 'the temporary file is removed afterwards')
  t.equal((await w.store.prompts.list('ta')).filter((p) => p.name === 'closed').length, 1, 'stored as the prompt')

  const big = await call(api.url, 'POST', '/api/v1/prompts/upload?language=sv&name=welcome', {
    token: w.tokens.adminA,
    ...form(Buffer.alloc(2 * 1024 * 1024, 1), 'audio/wav'),
  })
  t.equal(big.status, 413)
  t.equal(JSON.parse(big.text).error.code, 'PAYLOAD_TOO_LARGE')
  t.same(uploads(), [], 'nothing is left of the refused upload')
  t.equal((await w.store.prompts.list('ta')).filter((p) => p.name === 'welcome').length, 0, 'and nothing was stored')

  const none = await call(api.url, 'POST', '/api/v1/prompts/upload?language=sv&name=welcome', {
    token: w.tokens.adminA,
    raw: Buffer.from('--b--\r\n'),
    contentType: 'multipart/form-data; boundary=b',
  })
  t.equal(none.status, 400, 'a form without a file part')
  t.equal(JSON.parse(none.text).error.code, 'VALIDATION')
})

t.test('a form sent to a JSON route is 415, as any other non-JSON body', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const r = await call(w.url, 'POST', '/api/v1/tenants', {
    token: w.tokens.operator,
    ...form(Buffer.from('{}'), 'application/json', 'name'),
  })
  t.equal(r.status, 415)
  t.equal(JSON.parse(r.text).error.code, 'UNSUPPORTED_MEDIA_TYPE')
})
