// The restricted unpickler on opcode streams assembled here (pickletools' opcode table): values,
// containers, the memo, globals it knows and placeholders for those it does not, persistent ids,
// protocol-4 framing, and damaged streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unpickle, PickleObject, type PickleValue } from '../../src/models/import/pickle.ts';

/** Assembles a stream: numbers are bytes, strings are opcodes' one-character names or raw text. */
function stream(...parts: (number | string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') out.push(...new TextEncoder().encode(p));
    else out.push(...p);
  }
  return new Uint8Array(out);
}
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
/** BINUNICODE with a 4-byte length. */
const ustr = (s: string) => {
  const b = new TextEncoder().encode(s);
  return stream('X', ...u32(b.length), b);
};
const none = new Map<string, (a: PickleValue[]) => PickleValue>();

test('protocol 2: dict of ints, floats, strings, bools, None, negative and big integers, tuples and lists', () => {
  const bytes = stream(
    0x80, 2, '}', 'q', 0, '(',
    ustr('int'), 'K', 200,
    ustr('neg'), 'J', ...u32(-5 >>> 0),
    ustr('big'), 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, // LONG1: 2^64
    ustr('m1'), 0x8a, 1, 0xff, // LONG1: -1
    ustr('f'), 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, // 1.5 big-endian
    ustr('t'), 'K', 1, 'K', 2, 0x86, // TUPLE2
    ustr('l'), ']', '(', 0x88, 0x89, 'N', 'e', // list [True, False, None]
    ustr('ü'), 'M', 0x34, 0x12, // BININT2 0x1234
    'u', '.',
  );
  const v = unpickle(bytes, { globals: none, source: 'p2.pkl' });
  assert.ok(v instanceof Map);
  assert.deepEqual(Object.fromEntries(v as Map<string, PickleValue>), {
    int: 200, neg: -5, big: 2n ** 64n, m1: -1, f: 1.5, t: [1, 2], l: [true, false, null], ü: 0x1234,
  });
});

test('the memo: BINPUT/BINGET give the same object back, so shared references stay shared', () => {
  // [x, x] where x = [7] is memo slot 1
  const v = unpickle(stream(0x80, 2, ']', 'q', 1, 'K', 7, 'a', 'h', 1, 0x86, '.'), { globals: none, source: 'memo.pkl' }) as PickleValue[];
  assert.deepEqual(v, [[7], [7]]);
  assert.equal(v[0], v[1]);
  assert.throws(() => unpickle(stream(0x80, 2, 'h', 9, '.'), { globals: none, source: 'm.pkl' }), /m\.pkl: pickle opcode 0x68 at byte 2: memo slot 9 is empty/);
});

test('globals: known ones are called, unknown ones become PickleObjects with their arguments, state and items', () => {
  const globals = new Map<string, (a: PickleValue[]) => PickleValue>([['collections.OrderedDict', () => new Map()]]);
  const bytes = stream(
    0x80, 2, '}', '(',
    ustr('sd'), 'c', 'collections\nOrderedDict\n', ')', 'R', '(', ustr('w'), 'K', 3, 'u', // OrderedDict([('w', 3)])
    ustr('args'), 'c', 'argparse\nNamespace\n', ')', 0x81, '}', '(', ustr('lr'), 'G', 0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc, 'u', 'b', // Namespace(lr=1e-3)
    ustr('fn'), 'c', 'os\nsystem\n', '(', ustr('rm -rf /'), 't', 'R', // a call that must not run
    'u', '.',
  );
  const v = unpickle(bytes, { globals, source: 'g.pkl' }) as Map<string, PickleValue>;
  assert.deepEqual(v.get('sd'), new Map([['w', 3]]));
  const ns = v.get('args');
  assert.ok(ns instanceof PickleObject);
  assert.equal(ns.global.qualified, 'argparse.Namespace');
  assert.deepEqual(ns.state, new Map([['lr', 1e-3]]));
  const fn = v.get('fn');
  assert.ok(fn instanceof PickleObject);
  assert.equal(fn.global.qualified, 'os.system');
  assert.deepEqual(fn.args, ['rm -rf /']);
});

test('persistent ids go to persistentLoad; protocol 4 framing, SHORT_BINUNICODE, STACK_GLOBAL and MEMOIZE', () => {
  const seen: PickleValue[] = [];
  const bytes = stream(
    0x80, 4, 0x95, 43, 0, 0, 0, 0, 0, 0, 0, // FRAME of 43 bytes
    ']', 0x94, '(',
    '(', 0x8c, 7, 'storage', 0x8c, 1, '0', 't', 'Q', // BINPERSID ('storage', '0')
    0x8c, 5, 'torch', 0x8c, 12, 'FloatStorage', 0x93, 0x94, // STACK_GLOBAL + MEMOIZE (memo 1)
    'e', '.',
  );
  const v = unpickle(bytes, {
    globals: none,
    source: 'p4.pkl',
    persistentLoad: (pid) => (seen.push(pid), 'the storage'),
  }) as PickleValue[];
  assert.deepEqual(seen, [['storage', '0']]);
  assert.equal(v[0], 'the storage');
  assert.equal(v.length, 2);
  assert.throws(() => unpickle(stream(0x80, 2, '(', 'K', 1, 't', 'Q', '.'), { globals: none, source: 'np.pkl' }), /np\.pkl: .*persistent id in a stream that has no external storage/);
});

test('damaged streams: cut short, unknown opcodes, stack underflow — errors name source, opcode and byte', () => {
  const cut = stream(0x80, 2, '}', 'q', 0, '(', ustr('key'), 'X', ...u32(100), 'abc');
  assert.throws(() => unpickle(cut, { globals: none, source: 'cut.pkl' }), /cut\.pkl: pickle opcode 0x58 at byte 14: needs 100 more bytes, the stream ends at 22 \(truncated\)/);
  assert.throws(() => unpickle(stream(0x80, 2, 'K', 1), { globals: none, source: 'nostop.pkl' }), /nostop\.pkl: .*truncated/);
  assert.throws(() => unpickle(stream(0x80, 2, 0x82, 1, '.'), { globals: none, source: 'ext.pkl' }), /ext\.pkl: pickle opcode 0x82 at byte 2: unsupported opcode/);
  assert.throws(() => unpickle(stream(0x80, 2, 'a', '.'), { globals: none, source: 'under.pkl' }), /under\.pkl: pickle opcode 0x61 at byte 2: stack underflow/);
  assert.throws(() => unpickle(stream(0x80, 9, '.'), { globals: none, source: 'proto.pkl' }), /proto\.pkl: .*protocol newer than 5/);
});
