// A restricted unpickler (Python's pickle protocols 0-5, the opcodes torch.save and ordinary Python
// objects use). It never runs code: every global (module.name) is looked up in a table the caller
// gives; a global that is not in it becomes an inert PickleObject that records how it was to be
// built, so unknown objects beside a state dict (saved argparse args, optimizer state, numpy scalars)
// load as placeholders and the caller decides whether it needed them.
import { ImportError } from './import-error.ts';

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleKey, PickleValue>
  | Set<PickleKey>
  | PickleGlobal
  | PickleObject
  | { readonly [k: string]: unknown };

export type PickleKey = PickleValue;

/** A global reference (a class or function) that has not been called. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object built by a global the caller does not know: the call's arguments and later state. */
export class PickleObject {
  state: PickleValue | undefined = undefined;
  readonly items = new Map<PickleKey, PickleValue>();
  readonly list: PickleValue[] = [];
  constructor(
    readonly global: PickleGlobal,
    readonly args: PickleValue[],
  ) {}
}

/** What the caller knows: builders for globals it supports, and how to resolve persistent ids. */
export interface UnpickleOptions {
  /** A function that builds the object, or undefined for globals that become PickleObjects. */
  globals: ReadonlyMap<string, (args: PickleValue[]) => PickleValue>;
  /** Resolves a persistent id (torch.save: storages). Required when the stream has any. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Names the file in errors. */
  source: string;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** A global as a callable value: REDUCE calls its builder or records a PickleObject. */
class Callable {
  constructor(
    readonly global: PickleGlobal,
    readonly build: ((args: PickleValue[]) => PickleValue) | undefined,
  ) {}
}

/** Unpickles `bytes`; errors name the source, the opcode and its byte offset. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): PickleValue {
  return unpickleAt(bytes, 0, opts).value;
}

/** Unpickles the pickle that starts at byte `start`; `end` is the byte after its STOP (where the next one starts). */
export function unpickleAt(bytes: Uint8Array, start: number, opts: UnpickleOptions): { value: PickleValue; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = start;
  let op = 0;
  let opAt = 0;
  const fail = (msg: string): never => {
    throw new ImportError(`${opts.source}: pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${opAt}: ${msg}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`needs ${n} more bytes, the stream ends at ${bytes.length} (truncated)`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail(`length ${v} exceeds the stream`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text argument');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const str = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined) fail('stack underflow');
    if (v === MARK) fail('unexpected mark');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no mark on the stack');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const signedLittle = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const makeGlobal = (module: string, name: string): PickleValue => {
    const g = new PickleGlobal(module, name);
    return new Callable(g, opts.globals.get(g.qualified)) as unknown as PickleValue;
  };
  const call = (fn: PickleValue, args: PickleValue[]): PickleValue => {
    if (!(fn instanceof Callable)) return fail(`calls ${describe(fn)}, which is not a global`);
    return fn.build ? fn.build(args) : new PickleObject(fn.global, args);
  };
  const setItems = (target: PickleValue, kv: PickleValue[]) => {
    if (kv.length % 2 !== 0) fail('odd number of key/value items');
    const m = target instanceof Map ? target : target instanceof PickleObject ? target.items : fail(`sets items on ${describe(target)}`);
    for (let i = 0; i < kv.length; i += 2) m.set(kv[i]!, kv[i + 1]!);
  };
  const appendItems = (target: PickleValue, items: PickleValue[]) => {
    const l = Array.isArray(target) ? target : target instanceof PickleObject ? target.list : fail(`appends to ${describe(target)}`);
    l.push(...items);
  };

  for (;;) {
    opAt = pos;
    op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('protocol newer than 5');
        break;
      case 0x95: // FRAME (framing is informational here)
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack.pop() === undefined) fail('stack underflow');
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: {
        // INT (text; "01"/"00" are protocol-0 booleans)
        const s = line().trim();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, fail));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(parseIntText(line().trim().replace(/L$/, ''), fail));
        break;
      case 0x8a: // LONG1
        stack.push(signedLittle(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(signedLittle(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(take(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(latin1.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x53: // STRING (quoted text)
        stack.push(line().trim().slice(1, -1));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const m = new Map<PickleKey, PickleValue>();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`adds items to ${describe(s)}`);
        for (const i of items) (s as Set<PickleKey>).add(i);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(makeGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('module and name must be strings');
        stack.push(makeGlobal(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        if (!Array.isArray(args)) fail(`arguments are ${describe(args)}, expected a tuple`);
        stack.push(call(pop(), args as PickleValue[]));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        if (!Array.isArray(args)) fail(`arguments are ${describe(args)}, expected a tuple`);
        stack.push(call(pop(), args as PickleValue[]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        if (!Array.isArray(args)) fail(`arguments are ${describe(args)}, expected a tuple`);
        stack.push(call(pop(), args as PickleValue[]));
        break;
      }
      case 0x69: {
        // INST
        const module = line();
        const cls = makeGlobal(module, line());
        stack.push(call(cls, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        stack.push(call(items[0]!, items.slice(1)));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state); only placeholders keep it (an OrderedDict's
        // state is its attribute dict, e.g. a state dict's _metadata, not needed here)
        const state = pop();
        const obj = top();
        if (obj instanceof PickleObject) obj.state = state;
        break;
      }
      case 0x70: // PUT
        memo.set(parseIntText(line(), fail) as number, top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(memoGet(memo, parseIntText(line(), fail) as number, fail));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(memo, u8(), fail));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(memo, u32(), fail));
        break;
      case 0x50: // PERSID
      case 0x51: {
        // BINPERSID
        const pid = op === 0x50 ? line() : pop();
        if (!opts.persistentLoad) fail('persistent id in a stream that has no external storage');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        fail('unsupported opcode');
    }
  }
}

function parseIntText(s: string, fail: (msg: string) => never): number | bigint {
  if (!/^[-+]?\d+$/.test(s.trim())) fail(`'${s}' is not an integer`);
  const v = BigInt(s.trim());
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function memoGet(memo: Map<number, PickleValue>, i: number, fail: (msg: string) => never): PickleValue {
  if (!memo.has(i)) fail(`memo slot ${i} is empty`);
  return memo.get(i)!;
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PickleObject) return `an object of ${v.global.qualified}`;
  if (v instanceof PickleGlobal) return `the global ${v.qualified}`;
  if (v instanceof Callable) return `the global ${v.global.qualified}`;
  if (Array.isArray(v)) return `a tuple/list of ${v.length}`;
  if (v instanceof Map) return `a dict of ${v.size}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'value'}`;
  return `the ${typeof v} ${String(v)}`;
}

/** The global a value was built by, when it is an unbuilt global or a placeholder object. */
export function globalOf(v: unknown): string | undefined {
  if (v instanceof PickleObject) return v.global.qualified;
  if (v instanceof Callable) return v.global.qualified;
  return undefined;
}
