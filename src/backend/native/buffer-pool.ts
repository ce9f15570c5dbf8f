// Recycles the typed arrays of disposed tensors. Node counts every new ArrayBuffer as external memory and V8
// answers a few hundred MB of it with a full garbage collection; a training step allocates gigabytes, so without
// reuse a sixth of the step went to the collector. A buffer is recycled only when it provably belongs to one
// tensor: it came from take(), was attached to exactly one dataId, was never handed to user code (readSync/read)
// and never aliased by a second tensor (a view or the same array written twice). Anything else is left to the GC.
import * as os from 'node:os';

export type PoolArray = Float32Array | Int32Array | Uint8Array;

const FREE = 0;
const ATTACHED = 1;

export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Last take() of each size (a counter): when full, the sizes unused longest are evicted first. */
  private readonly lastUse = new Map<number, number>();
  private clock = 0;
  /** FREE: handed out by take, not yet attached; ATTACHED: owned by exactly one dataId. Absent: not ours. */
  private readonly owned = new WeakMap<ArrayBuffer, number>();
  private pooledBytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly capBytes: number) {}

  take(dtype: 'float32' | 'int32' | 'bool', n: number, zero = false): PoolArray {
    const bytes = dtype === 'bool' ? n : 4 * n;
    let buf: ArrayBuffer | undefined;
    if (bytes >= 1024 && this.capBytes > 0) {
      this.lastUse.set(bytes, ++this.clock);
      const list = this.free.get(bytes);
      buf = list?.pop();
      if (buf) {
        this.pooledBytes -= bytes;
        this.hits++;
      } else {
        this.misses++;
      }
    }
    const fresh = buf === undefined;
    buf ??= new ArrayBuffer(bytes);
    if (bytes >= 1024) this.owned.set(buf, FREE);
    const arr = dtype === 'float32' ? new Float32Array(buf) : dtype === 'int32' ? new Int32Array(buf) : new Uint8Array(buf);
    if (zero && !fresh) arr.fill(0);
    return arr;
  }

  /** A backend stores `values` under a new dataId. */
  attach(values: unknown): void {
    const buf = bufferOf(values);
    if (!buf) return;
    const state = this.owned.get(buf);
    if (state === undefined) return;
    const whole = (values as PoolArray).byteOffset === 0 && (values as PoolArray).byteLength === buf.byteLength;
    if (state === FREE && whole) this.owned.set(buf, ATTACHED);
    else this.owned.delete(buf); // aliased: never recycle
  }

  /** `values` leaves the backend's control (user code may keep it). */
  escape(values: unknown): void {
    const buf = bufferOf(values);
    if (buf) this.owned.delete(buf);
  }

  /** The dataId holding `values` was deleted. */
  release(values: unknown): void {
    const buf = bufferOf(values);
    if (!buf || this.owned.get(buf) !== ATTACHED) return;
    this.owned.delete(buf);
    if (buf.byteLength > this.capBytes) return;
    if (this.pooledBytes + buf.byteLength > this.capBytes) this.evictFor(buf.byteLength);
    const list = this.free.get(buf.byteLength);
    if (list) list.push(buf);
    else this.free.set(buf.byteLength, [buf]);
    this.pooledBytes += buf.byteLength;
  }

  /** Frees room for `bytes` by dropping the size classes requested longest ago (never `bytes` itself). */
  private evictFor(bytes: number): void {
    const sizes = [...this.free.keys()].filter((b) => b !== bytes).sort((x, y) => (this.lastUse.get(x) ?? 0) - (this.lastUse.get(y) ?? 0));
    for (const size of sizes) {
      const list = this.free.get(size)!;
      while (list.length > 0 && this.pooledBytes + bytes > this.capBytes) {
        list.pop();
        this.pooledBytes -= size;
      }
      if (list.length === 0) this.free.delete(size);
      if (this.pooledBytes + bytes <= this.capBytes) return;
    }
    const own = this.free.get(bytes);
    while (own && own.length > 0 && this.pooledBytes + bytes > this.capBytes) {
      own.pop();
      this.pooledBytes -= bytes;
    }
  }

  /** Drops every pooled buffer (memory goes back to the GC). */
  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }

  stats(): { pooledBytes: number; hits: number; misses: number } {
    return { pooledBytes: this.pooledBytes, hits: this.hits, misses: this.misses };
  }
}

function bufferOf(values: unknown): ArrayBuffer | null {
  if (values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array) {
    return values.buffer instanceof ArrayBuffer ? values.buffer : null;
  }
  return null;
}

/**
 * Default cap: a quarter of the machine's memory, within 2-8 GB. A ViT step at batch 128 frees ~2.1 GB of buffers;
 * under a 2 GB cap a tenth of them (400 MB per step) was evicted and allocated fresh the next step, which cost
 * 10-17% of the step's CPU time in page faults, zeroing and garbage collection.
 */
const defaultCapMb = Math.min(8192, Math.max(2048, Math.floor(os.totalmem() / 4 / 2 ** 20)));
const capMb = Number(process.env.VITSCOPE_POOL_MB ?? defaultCapMb);
/** The pool shared by the native backend and its kernels (VITSCOPE_POOL_MB caps it; 0 disables reuse). */
export const pool = new BufferPool(Number.isFinite(capMb) && capMb > 0 ? capMb * 1024 * 1024 : 0);
