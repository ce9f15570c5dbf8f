// Protocol definitions: one place for every setting; options derived from it; explicit options override.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { protocolOptions, resolveProtocol, type AnalysisProtocols, type SettingValue } from '../../src/util/protocol.ts';
import { FOURIER_PROTOCOLS } from '../../src/analysis/fourier-protocol.ts';
import { NOISE_PROTOCOLS } from '../../src/analysis/noise-protocol.ts';
import { LANDSCAPE_PROTOCOLS } from '../../src/analysis/landscape-protocol.ts';
import { VARIANCE_PROTOCOLS } from '../../src/analysis/variance-protocol.ts';
import { HESSIAN_PROTOCOLS } from '../../src/hessian/protocol.ts';

function checkDefinition<S extends { [K in keyof S]: SettingValue }, P extends string>(def: AnalysisProtocols<S, P>): void {
    assert.ok('paper' in def.protocols, def.analysis);
    assert.ok(def.defaultProtocol in def.protocols && def.why.length > 20, def.analysis);
    const options = protocolOptions(def);
    assert.equal(options[0]!.name, 'protocol');
    assert.equal(options[0]!.default, def.defaultProtocol);
    const keys = Object.keys(def.settings);
    assert.equal(options.length, 1 + keys.length);
    for (const o of options.slice(1)) {
      assert.equal(o.default, undefined, `${def.analysis} --${o.name}: the protocol decides the default`);
      assert.match(o.help, /\(paper: [^;)]+/, `${def.analysis} --${o.name}`);
    }
    // every protocol defines every setting
    for (const p of Object.values(def.protocols) as { settings: Record<string, unknown> }[]) assert.deepEqual(Object.keys(p.settings).sort(), [...keys].sort());
}

test('every analysis has a paper protocol, a default with a reason, and an option per setting saying what the paper used', () => {
  checkDefinition(FOURIER_PROTOCOLS);
  checkDefinition(NOISE_PROTOCOLS);
  checkDefinition(LANDSCAPE_PROTOCOLS);
  checkDefinition(VARIANCE_PROTOCOLS);
  checkDefinition(HESSIAN_PROTOCOLS);
});

test('resolveProtocol: protocol values, overrides parsed from CLI strings, errors name the option', () => {
  const d = resolveProtocol(NOISE_PROTOCOLS, {});
  assert.equal(d.protocol, NOISE_PROTOCOLS.defaultProtocol);
  assert.deepEqual(d.overridden, []);
  const p = resolveProtocol(NOISE_PROTOCOLS, { protocol: 'paper', scale: '0.007', frequencies: ['0.1', '0.5'] });
  assert.equal(p.mask, 'authors');
  assert.equal(p.scale, 0.007);
  assert.deepEqual(p.frequencies, [0.1, 0.5]);
  assert.deepEqual(p.overridden.sort(), ['frequencies', 'scale']);
  const l = resolveProtocol(LANDSCAPE_PROTOCOLS, { protocol: 'quick', mix: false, range: '-0.5,0.5' });
  assert.equal(l.mix, false);
  assert.deepEqual(l.range, [-0.5, 0.5]);
  assert.equal(l.resolution, 7);
  assert.equal(resolveProtocol(LANDSCAPE_PROTOCOLS, { protocol: 'paper' }).resolution, 21);
  assert.throws(() => resolveProtocol(FOURIER_PROTOCOLS, { protocol: 'other' }), /fourier: option '--protocol' is "other", expected one of paper, vitscope/);
  assert.throws(() => resolveProtocol(FOURIER_PROTOCOLS, { diagonal: 'middle' }), /option '--diagonal' is "middle", expected one of authors, nyquist/);
  assert.throws(() => resolveProtocol(HESSIAN_PROTOCOLS, { k: 1.5 }), /option '--k' is 1.5, expected an integer/);
  assert.throws(() => resolveProtocol(NOISE_PROTOCOLS, { frequencies: ['0.1', 'x'] }), /'--frequencies'.*list of numbers/);
});
