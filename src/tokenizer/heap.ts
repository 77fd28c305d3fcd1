/**
 * A binary min-heap ordered by a `less(a, b)` function: push and pop in O(log n).
 *
 * Both BPE encoding (lowest merge rank first) and BPE training (highest pair count first) need
 * "give me the best candidate, then let me add new ones"; stale entries are allowed and are
 * checked by the caller when popped ("lazy deletion"), which keeps the heap itself simple.
 *
 * @example
 *   const h = new BinaryHeap<number>((a, b) => a < b);
 *   h.push(3); h.push(1); h.pop() // 1
 */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(item, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  /** Remove and return the smallest item, or undefined when empty. */
  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      const n = items.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && this.less(items[r]!, items[l]!) ? r : l;
        if (!this.less(items[child]!, last)) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}
