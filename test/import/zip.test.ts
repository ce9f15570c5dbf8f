// The zip reader on archives assembled here byte by byte (APPNOTE 6.3 layouts): stored and deflated
// entries, a trailing comment, zip64 sizes and offsets, and damaged archives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { crc32, openZip } from '../../src/models/import/zip.ts';

interface Member {
  name: string;
  data: Uint8Array;
  method: 0 | 8;
}

/** A zip archive of `members`; with zip64 every size/offset goes through the zip64 records. */
function makeZip(members: Member[], opts: { zip64?: boolean; comment?: string } = {}): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    offset += b.length;
  };
  const central: Uint8Array[] = [];
  for (const m of members) {
    const name = enc.encode(m.name);
    const body = m.method === 8 ? new Uint8Array(deflateRawSync(m.data)) : m.data;
    const crc = crc32(m.data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, m.method, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, body.length, true);
    local.setUint32(22, m.data.length, true);
    local.setUint16(26, name.length, true);
    const at = offset;
    push(new Uint8Array(local.buffer));
    push(name);
    push(body);
    const extra = new DataView(new ArrayBuffer(opts.zip64 ? 28 : 0));
    if (opts.zip64) {
      extra.setUint16(0, 0x0001, true);
      extra.setUint16(2, 24, true);
      extra.setBigUint64(4, BigInt(m.data.length), true);
      extra.setBigUint64(12, BigInt(body.length), true);
      extra.setBigUint64(20, BigInt(at), true);
    }
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 45, true);
    cd.setUint16(6, 45, true);
    cd.setUint16(10, m.method, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, opts.zip64 ? 0xffffffff : body.length, true);
    cd.setUint32(24, opts.zip64 ? 0xffffffff : m.data.length, true);
    cd.setUint16(28, name.length, true);
    cd.setUint16(30, extra.byteLength, true);
    cd.setUint32(42, opts.zip64 ? 0xffffffff : at, true);
    central.push(new Uint8Array(cd.buffer), name, new Uint8Array(extra.buffer));
  }
  const cdStart = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdStart;
  if (opts.zip64) {
    const z = new DataView(new ArrayBuffer(56 + 20));
    z.setUint32(0, 0x06064b50, true);
    z.setBigUint64(4, 44n, true);
    z.setBigUint64(24, BigInt(members.length), true);
    z.setBigUint64(32, BigInt(members.length), true);
    z.setBigUint64(40, BigInt(cdSize), true);
    z.setBigUint64(48, BigInt(cdStart), true);
    z.setUint32(56, 0x07064b50, true);
    z.setBigUint64(64, BigInt(offset), true);
    z.setUint32(72, 1, true);
    push(new Uint8Array(z.buffer));
  }
  const comment = enc.encode(opts.comment ?? '');
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, opts.zip64 ? 0xffff : members.length, true);
  end.setUint16(10, opts.zip64 ? 0xffff : members.length, true);
  end.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true);
  end.setUint32(16, opts.zip64 ? 0xffffffff : cdStart, true);
  end.setUint16(20, comment.length, true);
  push(new Uint8Array(end.buffer));
  push(comment);
  const out = new Uint8Array(offset);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);
const members: Member[] = [
  { name: 'archive/data.pkl', data: text('pickle bytes here'), method: 0 },
  { name: 'archive/data/0', data: new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256)), method: 8 },
  { name: 'archive/empty', data: new Uint8Array(0), method: 0 },
];

test('CRC-32 matches the standard check value', () => {
  assert.equal(crc32(text('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

for (const zip64 of [false, true]) {
  test(`stored and deflated entries read back exactly (${zip64 ? 'zip64 records' : 'classic records'}, archive comment)`, () => {
    const zip = openZip(makeZip(members, { zip64, comment: 'a comment PK\x05\x06 inside' }), 'crafted.zip');
    assert.deepEqual([...zip.entries.keys()], members.map((m) => m.name));
    for (const m of members) {
      assert.deepEqual(zip.read(m.name), m.data, m.name);
      assert.equal(zip.entries.get(m.name)!.method, m.method);
    }
    assert.throws(() => zip.read('archive/missing'), /crafted\.zip: zip archive has no entry 'archive\/missing'/);
  });
}

test('damaged archives: cut short, a corrupted entry, an unknown method — errors name the file and entry', () => {
  const good = makeZip(members);
  assert.throws(() => openZip(good.subarray(0, good.length - 30), 'cut.zip'), /cut\.zip: truncated or damaged zip archive \(no end-of-central-directory record\)/);
  // the directory survives but says an entry runs past the end of the file (as when storages were cut off)
  const z = openZip(good, 'x');
  const cdStart = good.length - 22 - [...z.entries.values()].reduce((n, e) => n + 46 + e.name.length, 0);
  const long = good.slice();
  new DataView(long.buffer).setUint32(cdStart + 46 + 'archive/data.pkl'.length + 20, 1_000_000, true);
  assert.throws(() => openZip(long, 'holed.zip').read('archive/data/0'), /holed\.zip: truncated or damaged zip archive \(entry 'archive\/data\/0' ends at \d+, past the end of the file at \d+\)/);
  const flipped = good.slice();
  flipped[30 + 'archive/data.pkl'.length + 3]! ^= 1;
  assert.throws(() => openZip(flipped, 'flip.zip').read('archive/data.pkl'), /flip\.zip: zip entry 'archive\/data\.pkl' fails its CRC-32 check/);
  const method = good.slice();
  new DataView(method.buffer).setUint16(cdStart + 10, 12, true); // bzip2 in the directory
  assert.throws(() => openZip(method, 'bz.zip').read('archive/data.pkl'), /bz\.zip: zip entry 'archive\/data\.pkl' uses compression method 12, expected 0 \(stored\) or 8 \(deflate\)/);
});
