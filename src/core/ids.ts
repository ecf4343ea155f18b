/**
 * Deterministic ids for offers, legs and recordings, derived from the event that makes them, so that replaying the
 * same events into a fresh engine gives the same ids (and the same commands): a standby daemon relies on it.
 *
 * Leg ids are used as FreeSWITCH's `origination_uuid`, which must be a UUID there (switch_ivr_originate.c checks it
 * with switch_core_session_request_uuid → switch_uuid_parse… and refuses anything else). So an id is a name-based
 * UUID version 5 (RFC 4122 §4.3: SHA-1 of a namespace UUID followed by the name, version nibble 5, variant 10xx)
 * of the name `<callId>/<counter>`: the caller's FreeSWITCH uuid plus the engine's counter. SHA-1 is implemented
 * here, pure (FIPS 180-4), because the core has no node: imports (no node:crypto).
 */

/** The namespace of koplus's ids (a fixed random UUID; changing it changes every id). */
const KOPLUS_ID_NAMESPACE = '6f1c2a8e-4b7d-4e0a-9c3b-5d2e8f71a604'

/** UTF-8 bytes of a string (TextEncoder is a global in Node and browsers, not a node: import). */
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n))
}

/** SHA-1 (FIPS 180-4 §6.1) of `bytes`: 20 bytes. */
export function sha1(bytes: Uint8Array): Uint8Array {
  const bitLen = bytes.length * 8
  const total = Math.ceil((bytes.length + 9) / 64) * 64
  const msg = new Uint8Array(total)
  msg.set(bytes)
  msg[bytes.length] = 0x80
  const view = new DataView(msg.buffer)
  view.setUint32(total - 8, Math.floor(bitLen / 0x1_0000_0000))
  view.setUint32(total - 4, bitLen >>> 0)
  let h0 = 0x67452301
  let h1 = 0xefcdab89
  let h2 = 0x98badcfe
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0
  const w = new Uint32Array(80)
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4)
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1)
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    for (let i = 0; i < 80; i++) {
      let f: number
      let k: number
      if (i < 20) {
        f = (b & c) | (~b & d)
        k = 0x5a827999
      } else if (i < 40) {
        f = b ^ c ^ d
        k = 0x6ed9eba1
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d)
        k = 0x8f1bbcdc
      } else {
        f = b ^ c ^ d
        k = 0xca62c1d6
      }
      const t = (rotl(a, 5) + f + e + k + w[i]) >>> 0
      e = d
      d = c
      c = rotl(b, 30) >>> 0
      b = a
      a = t
    }
    h0 = (h0 + a) >>> 0
    h1 = (h1 + b) >>> 0
    h2 = (h2 + c) >>> 0
    h3 = (h3 + d) >>> 0
    h4 = (h4 + e) >>> 0
  }
  const out = new Uint8Array(20)
  const ov = new DataView(out.buffer)
  ;[h0, h1, h2, h3, h4].forEach((h, i) => ov.setUint32(i * 4, h))
  return out
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a UUID: ${uuid}`)
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

const KOPLUS_NS_BYTES = uuidBytes(KOPLUS_ID_NAMESPACE)

/** A name-based UUID, version 5 (RFC 4122 §4.3), of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = KOPLUS_ID_NAMESPACE): string {
  const ns = namespace === KOPLUS_ID_NAMESPACE ? KOPLUS_NS_BYTES : uuidBytes(namespace)
  const n = utf8(name)
  const input = new Uint8Array(ns.length + n.length)
  input.set(ns)
  input.set(n, ns.length)
  const h = sha1(input).slice(0, 16)
  h[6] = (h[6] & 0x0f) | 0x50
  h[8] = (h[8] & 0x3f) | 0x80
  let hex = ''
  for (const b of h) hex += HEX[b]
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The id the engine gives its `counter`-th new thing made for call `callId` (an offer, a leg, a recording). */
export function deterministicId(callId: string, counter: number): string {
  return uuidV5(`${callId}/${counter}`)
}
