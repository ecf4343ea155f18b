import t from 'tap'
import { createHash } from 'node:crypto'
import { deterministicId, sha1, uuidV5 } from '../../src/core/ids.js'

t.test('sha1 agrees with node:crypto on every padding case (FIPS 180-4)', async (t) => {
  for (const s of ['', 'abc', 'x'.repeat(55), 'y'.repeat(56), 'y'.repeat(64), 'å'.repeat(300)]) {
    t.equal(
      Buffer.from(sha1(new TextEncoder().encode(s))).toString('hex'),
      createHash('sha1').update(s).digest('hex'),
      `${s.length} chars`,
    )
  }
})

t.test('uuidV5: the RFC 4122 / Python uuid5 value for www.example.com in the DNS namespace', async (t) => {
  t.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2')
})

t.test(
  'deterministicId: UUID-shaped (origination_uuid), same input same id, distinct per call and counter',
  async (t) => {
    const a = deterministicId('8c1a6e0e-9d8e-4c55-a3f1-0f5d3c1b2a77', 1)
    t.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    t.equal(deterministicId('8c1a6e0e-9d8e-4c55-a3f1-0f5d3c1b2a77', 1), a)
    t.not(deterministicId('8c1a6e0e-9d8e-4c55-a3f1-0f5d3c1b2a77', 2), a)
    t.not(deterministicId('other', 1), a)
  },
)
