/**
 * SocketWriter (issue 13, recovery): writes of one turn reach the socket as one write, in order, before any I/O;
 * a large batch goes at once so that backpressure (write() → false, wait for 'drain') still holds data back.
 */
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import t from 'tap'
import { SocketWriter } from '../../src/freeswitch/esl/socket-writer.js'

class FakeSocket extends EventEmitter {
  writes: string[] = []
  ended = false
  destroyed = false
  /** What write() returns (false: the socket's buffer is full). */
  accept = true
  write(data: string): boolean {
    this.writes.push(data)
    return this.accept
  }
  end(): void {
    this.ended = true
  }
}

function setup(): { socket: FakeSocket; writer: SocketWriter } {
  const socket = new FakeSocket()
  return { socket, writer: new SocketWriter(socket as unknown as Socket) }
}

t.test('writes of one turn go to the socket once, joined in order, before the next I/O', async (t) => {
  const { socket, writer } = setup()
  writer.write('api a\n\n')
  writer.write('api b\n\n')
  writer.write('sendmsg c\n\n')
  t.same(socket.writes, [], 'nothing written synchronously')
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.same(socket.writes, ['api a\n\napi b\n\nsendmsg c\n\n'], 'one write, in order')
  writer.write('api d\n\n')
  await new Promise<void>((resolve) => process.nextTick(resolve))
  t.same(socket.writes.slice(1), ['api d\n\n'], 'flushed on the next tick')
})

t.test('a write from a promise continuation is flushed before the event loop goes on', async (t) => {
  const { socket, writer } = setup()
  await Promise.resolve()
  writer.write('api x\n\n')
  let seenAtTimer: string[] = []
  await new Promise<void>((resolve) =>
    setTimeout(() => {
      seenAtTimer = [...socket.writes]
      resolve()
    }, 0),
  )
  t.same(seenAtTimer, ['api x\n\n'])
})

t.test('a large batch is handed over at once, and backpressure holds the rest until drain', async (t) => {
  const { socket, writer } = setup()
  const big = 'x'.repeat(20 * 1024)
  writer.write('a')
  writer.write(big)
  t.same(socket.writes, ['a' + big], 'the batch passed the limit: written synchronously')
  socket.accept = false
  writer.write(big)
  t.equal(socket.writes.length, 2)
  t.ok(writer.congested, 'the socket asked us to wait')
  writer.write('api y\n\n')
  writer.write(big)
  writer.flush()
  t.equal(socket.writes.length, 2, 'held back while congested')
  t.equal(writer.queuedBytes, 'api y\n\n'.length + big.length)
  socket.accept = true
  socket.emit('drain')
  t.same(socket.writes.slice(2), ['api y\n\n' + big], 'sent after drain, in order')
  t.equal(writer.queuedBytes, 0)
  t.notOk(writer.congested)
})

t.test('end() flushes first; clear() drops what was not written', async (t) => {
  const { socket, writer } = setup()
  writer.write('exit\n\n')
  writer.end()
  t.same(socket.writes, ['exit\n\n'])
  t.ok(socket.ended)

  const other = setup()
  other.writer.write('api lost\n\n')
  other.writer.clear()
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.same(other.socket.writes, [], 'nothing after clear()')
})
