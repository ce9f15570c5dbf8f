// The project's import graph, read with the TypeScript parser: every static import/export-from,
// `import type`, dynamic `import('…')` and type-position `import('…')` of a relative file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Importing file, relative to the root (posix separators). */
  from: string;
  /** Imported file, relative to the root. */
  to: string;
  line: number;
  kind: 'static' | 'dynamic' | 'type';
}

/** Relative module specifiers in one source text, with their line and kind. */
export function importsOf(fileName: string, text: string): { specifier: string; line: number; kind: ImportEdge['kind'] }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: { specifier: string; line: number; kind: ImportEdge['kind'] }[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, kind: ImportEdge['kind']): void => {
    if (spec && ts.isStringLiteralLike(spec)) out.push({ specifier: spec.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ? 'type' : 'static');
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, node.isTypeOnly ? 'type' : 'static');
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression, 'static');
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0], 'dynamic');
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal as ts.Expression, 'type');
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Edges between the .ts files under `root/dir` (imports of packages and of files outside are left out). */
export function importGraph(root: string, dir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of listTs(path.join(root, dir)).sort()) {
    const from = path.relative(root, file).split(path.sep).join('/');
    for (const imp of importsOf(file, fs.readFileSync(file, 'utf8'))) {
      if (!imp.specifier.startsWith('.')) continue;
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), imp.specifier));
      if (!to.startsWith(`${dir}/`)) continue;
      edges.push({ from, to, line: imp.line, kind: imp.kind });
    }
  }
  return edges;
}

/**
 * The layer of a file under src/: its first folder (or the file name for top-level files).
 * Returns the rank in `order` (a list of groups; files in one group may import each other) or -1.
 */
export function layerRank(file: string, order: readonly (readonly string[])[]): number {
  const parts = file.split('/');
  const key = parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
  return order.findIndex((group) => group.includes(key));
}

export function layerName(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
}

/** Imports that point to a higher layer (or out of the known layers), as readable lines. */
export function upwardImports(edges: readonly ImportEdge[], order: readonly (readonly string[])[]): string[] {
  const bad: string[] = [];
  for (const e of edges) {
    const a = layerRank(e.from, order), b = layerRank(e.to, order);
    if (a < 0) bad.push(`${e.from}: its folder '${layerName(e.from)}' is in no layer (add it to LAYERS and docs/CONTRIBUTING.md)`);
    else if (b < 0) bad.push(`${e.from}:${e.line} imports ${e.to}, whose folder '${layerName(e.to)}' is in no layer`);
    else if (b > a) bad.push(`${e.from}:${e.line} (${layerName(e.from)}) imports ${e.to} (${layerName(e.to)}), a higher layer [${e.kind}]`);
  }
  return [...new Set(bad)];
}

/** The import cycles between files (strongly connected components of more than one file, or a self-import). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, []);
    if (!next.has(e.to)) next.set(e.to, []);
    next.get(e.from)!.push(e.to);
  }
  // Tarjan's algorithm, iterative so deep chains cannot overflow the stack
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>(), stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of [...next.keys()].sort()) {
    if (idx.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    idx.set(start, index); low.set(start, index); index++; stack.push(start); onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = next.get(top.node)!;
      if (top.i < succ.length) {
        const w = succ[top.i++]!;
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index); index++; stack.push(w); onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === idx.get(top.node)) {
        const comp: string[] = [];
        let w: string;
        do { w = stack.pop()!; onStack.delete(w); comp.push(w); } while (w !== top.node);
        if (comp.length > 1 || succ.includes(top.node)) cycles.push(comp.sort());
      }
    }
  }
  return cycles;
}
