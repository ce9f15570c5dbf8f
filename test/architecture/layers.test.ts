// The layers of src/ only point down (docs/CONTRIBUTING.md, "Layers"), and no files import each other in a cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph, importsOf, upwardImports, type ImportEdge } from './import-graph.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Lowest first; a folder may import its own group and the groups before it. Same order as docs/CONTRIBUTING.md. */
export const LAYERS: readonly (readonly string[])[] = [
  ['util', 'io'],
  ['backend'],
  ['data'],
  ['models'],
  ['train'],
  ['hessian', 'analysis'],
  ['plots'],
  ['experiments'],
  ['view'],
  ['cli'],
  ['index'],
];

function cycleReport(cycles: string[][], edges: readonly ImportEdge[]): string[] {
  return cycles.map((files) => {
    const inCycle = new Set(files);
    const links = edges.filter((e) => inCycle.has(e.from) && inCycle.has(e.to)).map((e) => `  ${e.from}:${e.line} -> ${e.to} [${e.kind}]`);
    return `cycle between ${files.length} files:\n${[...new Set(links)].join('\n')}`;
  });
}

test('every import in src/ points to its own layer or a lower one', () => {
  const edges = importGraph(ROOT, 'src');
  assert.ok(edges.length > 100, `only ${edges.length} imports found in src/: the parser missed some`);
  const bad = upwardImports(edges, LAYERS);
  assert.deepEqual(bad, [], `imports that point up:\n${bad.join('\n')}`);
});

test('hessian and analysis are siblings: neither imports the other (shared pieces live in src/util, src/train)', () => {
  const edges = importGraph(ROOT, 'src');
  const folderOf = (file: string): string => file.split('/')[1] ?? '';
  const crossing = edges
    .filter((e) => { const a = folderOf(e.from), b = folderOf(e.to); return (a === 'hessian' && b === 'analysis') || (a === 'analysis' && b === 'hessian'); })
    .map((e) => `${e.from}:${e.line} -> ${e.to} [${e.kind}]`);
  assert.deepEqual(crossing, [], `imports between the sibling folders hessian and analysis:\n${crossing.join('\n')}`);
});

test('no import cycle between files of src/', () => {
  const edges = importGraph(ROOT, 'src');
  const report = cycleReport(importCycles(edges), edges);
  assert.deepEqual(report, [], report.join('\n'));
});

test('the import reader sees static, type-only, re-exported and dynamic imports', () => {
  const text = [
    "import { a } from './a.ts';",
    "import type { B } from '../b.ts';",
    "export { c } from './c.ts';",
    'const d = await import(\n  "./d.ts");',
    "let e: import('./e.ts').E;",
    "import 'node:fs';",
    "// import { f } from './f.ts'",
  ].join('\n');
  const found = importsOf('x.ts', text).map((i) => `${i.kind} ${i.specifier} @${i.line}`);
  assert.deepEqual(found, ['static ./a.ts @1', 'type ../b.ts @2', 'static ./c.ts @3', 'dynamic ./d.ts @4', 'type ./e.ts @6', 'static node:fs @7']);
});

test('an upward import and a cycle are reported with the files named', () => {
  const edges: ImportEdge[] = [
    { from: 'src/train/loop.ts', to: 'src/cli/progress.ts', line: 3, kind: 'static' },
    { from: 'src/cli/progress.ts', to: 'src/train/loop.ts', line: 7, kind: 'dynamic' },
    { from: 'src/models/a.ts', to: 'src/models/b.ts', line: 1, kind: 'static' },
    { from: 'src/gizmo/x.ts', to: 'src/util/random.ts', line: 1, kind: 'static' },
  ];
  assert.deepEqual(upwardImports(edges, LAYERS), [
    'src/train/loop.ts:3 (train) imports src/cli/progress.ts (cli), a higher layer [static]',
    "src/gizmo/x.ts: its folder 'gizmo' is in no layer (add it to LAYERS and docs/CONTRIBUTING.md)",
  ]);
  assert.deepEqual(importCycles(edges), [['src/cli/progress.ts', 'src/train/loop.ts']]);
  assert.match(cycleReport(importCycles(edges), edges)[0]!, /src\/train\/loop\.ts:3 -> src\/cli\/progress\.ts/);
});
