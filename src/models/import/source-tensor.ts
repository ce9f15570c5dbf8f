// A tensor as another framework stored it: an element type, a shape, and a strided view (offset and
// strides in elements, as PyTorch keeps them) into little-endian bytes. values() converts to float32.
import { ImportError } from './import-error.ts';

export type SourceDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** Bytes per element of each type. */
export const ELEMENT_BYTES: Readonly<Record<SourceDtype, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Contiguous (row-major) strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export class SourceTensor {
  readonly size: number;

  constructor(
    readonly dtype: SourceDtype,
    readonly shape: readonly number[],
    private readonly bytes: Uint8Array,
    private readonly offset: number,
    private readonly strides: readonly number[],
    /** Where the bytes are, for errors. */
    readonly origin: string,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
    if (strides.length !== shape.length) throw new ImportError(`${origin}: tensor has ${shape.length} dimensions but ${strides.length} strides`);
  }

  get isFloat(): boolean {
    return this.dtype === 'float32' || this.dtype === 'float64' || this.dtype === 'float16' || this.dtype === 'bfloat16';
  }

  /** The values in row-major order as float32 (float64, half and bfloat16 converted). */
  values(): Float32Array {
    const n = this.size;
    const out = new Float32Array(n);
    if (n === 0) return out;
    const eb = ELEMENT_BYTES[this.dtype];
    const available = Math.floor(this.bytes.length / eb);
    let last = this.offset;
    this.shape.forEach((d, i) => (last += (d - 1) * this.strides[i]!));
    if (this.offset < 0 || last >= available)
      throw new ImportError(`${this.origin}: the tensor reads element ${last} but the storage holds ${available} (truncated or damaged storage)`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const read = this.reader(view);
    const contiguous = contiguousStrides(this.shape).every((s, i) => s === this.strides[i] || this.shape[i] === 1);
    if (contiguous && this.dtype === 'float32' && LITTLE_ENDIAN_HOST) {
      // the common case: one copy of the bytes (the copy also aligns them)
      const at = this.bytes.byteOffset + this.offset * 4;
      out.set(new Float32Array(this.bytes.buffer.slice(at, at + n * 4)));
      return out;
    }
    if (contiguous) {
      for (let i = 0; i < n; i++) out[i] = read((this.offset + i) * eb);
      return out;
    }
    // strided: walk the multi-index in row-major order
    const rank = this.shape.length;
    const idx = new Array<number>(rank).fill(0);
    let at = this.offset;
    for (let i = 0; i < n; i++) {
      out[i] = read(at * eb);
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        at += this.strides[d]!;
        if (idx[d]! < this.shape[d]!) break;
        at -= this.strides[d]! * this.shape[d]!;
        idx[d] = 0;
      }
    }
    return out;
  }

  private reader(view: DataView): (byte: number) => number {
    switch (this.dtype) {
      case 'float32':
        return (b) => view.getFloat32(b, true);
      case 'float64':
        return (b) => view.getFloat64(b, true);
      case 'float16':
        return (b) => halfToFloat(view.getUint16(b, true));
      case 'bfloat16': {
        const scratch = new DataView(new ArrayBuffer(4));
        return (b) => {
          scratch.setUint32(0, view.getUint16(b, true) << 16, true);
          return scratch.getFloat32(0, true);
        };
      }
      case 'int64':
        return (b) => Number(view.getBigInt64(b, true));
      case 'int32':
        return (b) => view.getInt32(b, true);
      case 'int16':
        return (b) => view.getInt16(b, true);
      case 'int8':
        return (b) => view.getInt8(b);
      case 'uint8':
      case 'bool':
        return (b) => view.getUint8(b);
    }
  }
}
