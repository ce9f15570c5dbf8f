// Loads vitscope's TypeScript modules into a tslab notebook.
//
// tslab compiles notebook cells with its own TypeScript (Node10 resolution, rootDir = the notebook folder), which
// cannot compile the library (it imports '.ts' paths and lives outside notebooks/). So the notebooks import the
// library at run time through tsx's ESM loader instead: `const plots = await load('src/plots/index.ts')`
// (paths relative to the repository root). The modules are the same ones the CLI runs; the values are untyped
// (`any`) in the notebook.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.resolve(__dirname, '..');
let registered;

exports.ROOT = ROOT;
exports.load = async function load(relPath) {
  registered ??= import('tsx/esm/api').then((m) => m.register());
  await registered;
  return import(pathToFileURL(path.resolve(ROOT, relPath)).href);
};
