// MLP-Mixer's token-mixing blocks ('token-mlp') get their own shading and legend entry in depth plots, apart from
// MSA (grey) and pooling (blue); channel MLPs stay unshaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fourierDepthFigure, varianceDepthFigure } from '../../src/plots/index.ts';
import type { BlockKind } from '../../src/models/model.ts';

test('depth figures shade token-mixing MLPs amber, with a legend entry, and leave channel MLPs unshaded', () => {
  const kinds: BlockKind[] = ['embedding', 'token-mlp', 'mlp', 'token-mlp', 'mlp'];
  const depth = kinds.map((_, i) => i / (kinds.length - 1));
  for (const build of [fourierDepthFigure, varianceDepthFigure]) {
    const f = build([{ label: 'Mixer-Ti', depth, value: depth.map((d) => 1 + d), kinds }]);
    const shapes = f.layout.shapes as { fillcolor: string; x0: number; x1: number }[];
    assert.equal(shapes.length, 2);
    assert.ok(shapes.every((s) => s.fillcolor.startsWith('rgba(230, 170, 0')));
    assert.deepEqual(shapes.map((s) => [s.x0, s.x1]), [[depth[0], depth[1]], [depth[2], depth[3]]]);
    assert.ok(f.data.some((t) => t.name === 'Token-mixing MLP'), 'legend explains the shading');
    assert.ok(!f.data.some((t) => t.name === 'MSA block'));
  }
});
