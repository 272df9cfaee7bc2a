// A browser stand-in for the assist gateway's tests: every message it received, and a way to
// wait for the next one of a kind.
import assert from 'node:assert/strict'
import WebSocket from 'ws'

export interface Message {
  event: string
  data: any
}

/** A browser stand-in: every message it received, and a way to wait for the next one of a kind. */
export async function connectAssist(url: string) {
  const ws = new WebSocket(url)
  const messages: Message[] = []
  let seen = 0
  const waiters: Array<() => void> = []
  ws.on('message', (raw, isBinary) => {
    assert.equal(isBinary, false, 'the gateway sends text frames only')
    messages.push(JSON.parse(String(raw)))
    waiters.splice(0).forEach((w) => w())
  })
  let closed = false
  ws.on('close', () => (closed = true))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  /** The next message named `event` after the last one this returned. */
  const next = async (event: string, ms = 8000): Promise<Message> => {
    const deadline = Date.now() + ms
    for (;;) {
      const i = messages.findIndex((m, j) => j >= seen && m.event === event)
      if (i >= 0) {
        seen = i + 1
        return messages[i]
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${event}; got ${messages.map((m) => m.event).join(',')}`)
      await new Promise<void>((r) => {
        waiters.push(r)
        setTimeout(r, 50)
      })
    }
  }
  const isClosed = () => closed || ws.readyState !== WebSocket.OPEN
  return { ws, messages, next, isClosed }
}

