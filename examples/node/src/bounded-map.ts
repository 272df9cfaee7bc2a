/**
 * A map that forgets: at most `max` entries (the oldest written goes first) and none older than
 * `ttlMs`. The sidecar keeps per-call state (a call's privacy, its disposition draft) in it, so
 * a process that serves calls for weeks holds only the recent ones.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>()

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  set(key: K, value: V): void {
    // Re-inserted, so a key written again counts as the newest.
    this.entries.delete(key)
    this.entries.set(key, { value, at: this.now() })
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break
      this.entries.delete(oldest)
    }
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  has(key: K): boolean {
    return this.get(key) !== undefined
  }

  delete(key: K): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}
