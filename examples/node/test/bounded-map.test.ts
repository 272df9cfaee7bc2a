// BoundedMap: the sidecar's per-call memory (paused recordings, disposition drafts) stays
// bounded by count and by age.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { BoundedMap } from '../src/bounded-map'

test('at most max entries: the oldest written goes first, a rewrite counts as new', () => {
  const map = new BoundedMap<string, number>(3, 60_000)
  for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) map.set(k, v)
  map.set('a', 10) // now the newest
  map.set('d', 4) // evicts b, the oldest written
  assert.equal(map.size, 3)
  assert.equal(map.get('b'), undefined)
  assert.deepEqual(['a', 'c', 'd'].map((k) => map.get(k)), [10, 3, 4])
})

test('entries older than the TTL are gone; delete forgets at once', () => {
  let now = 1_000
  const map = new BoundedMap<string, string>(10, 500, () => now)
  map.set('x', 'draft')
  now += 500
  assert.equal(map.get('x'), 'draft', 'still there at exactly the TTL')
  now += 1
  assert.equal(map.get('x'), undefined)
  assert.equal(map.has('x'), false)
  map.set('y', 'paused')
  map.delete('y')
  assert.equal(map.has('y'), false)
})
