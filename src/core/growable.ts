import { MemoryBudget } from './memoryBudget';

/** An append-only Int32Array that doubles when full (within `budget`). */
export class GrowableInt32 {
  length = 0;
  data: Int32Array;
  constructor(capacity = 1 << 12, private readonly budget = new MemoryBudget()) {
    budget.reserve(capacity * 4);
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      this.budget.reserve(this.data.byteLength * 2);
      const next = new Int32Array(this.data.length * 2);
      this.budget.release(this.data.byteLength);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  get(i: number): number { return this.data[i]; }
  set(i: number, v: number): void { this.data[i] = v; }
  get bytes(): number { return this.data.byteLength; }
}

/** An append-only bitset. */
export class GrowableBits {
  private data = new Uint8Array(1 << 10);
  set(i: number, v: boolean): void {
    const byte = i >>> 3;
    if (byte >= this.data.length) {
      let n = this.data.length * 2;
      while (n <= byte) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.data);
      this.data = next;
    }
    if (v) this.data[byte] |= 1 << (i & 7);
    else this.data[byte] &= ~(1 << (i & 7));
  }
  get(i: number): boolean { return ((this.data[i >>> 3] ?? 0) & (1 << (i & 7))) !== 0; }
  get bytes(): number { return this.data.byteLength; }
}
