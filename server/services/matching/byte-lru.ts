/**
 * A least-recently-used cache bounded by bytes: workers keep decoded sources
 * and on/off indices here (budget from MATCH_CACHE_BYTES). Entries larger
 * than the whole budget are not cached.
 */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private used = 0;

  /** `onEvict`: called with each value the budget pushes out (or refuses), e.g. to free what it holds elsewhere. */
  constructor(
    readonly budget: number,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    // re-insert: Map iteration order is insertion order, so the first key is the least recent
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, value: V, bytes: number): void {
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    if (bytes > this.budget) {
      this.onEvict?.(value);
      return;
    }
    while (this.used + bytes > this.budget) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      const e = this.map.get(oldest.value)!;
      this.used -= e.bytes;
      this.map.delete(oldest.value);
      this.onEvict?.(e.value);
    }
    this.map.set(key, { value, bytes });
    this.used += bytes;
  }

  get bytesUsed(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }
}
