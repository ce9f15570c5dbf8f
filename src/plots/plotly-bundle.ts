// The plotly.js bundle (npm plotly.js-dist) as a string to inline into self-contained HTML pages, notebook outputs
// and the headless-Chromium renderer. Minified once with esbuild when it is available (10 MB -> 4.8 MB) and cached
// in node_modules/.cache/vitscope/; the unminified bundle is used otherwise.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { writeFileAtomicSync } from '../io/atomic.ts';

const require = createRequire(import.meta.url);

let cached: string | undefined;

export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist');
}

export function plotlyVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(plotlyBundlePath()), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function cacheFile(): string {
  // <root>/node_modules/plotly.js-dist/plotly.js -> <root>/node_modules/.cache/vitscope/
  const nodeModules = path.dirname(path.dirname(plotlyBundlePath()));
  return path.join(nodeModules, '.cache', 'vitscope', `plotly-${plotlyVersion()}.min.js`);
}

/** Makes a script safe to inline in <script>...</script>. */
export function escapeInlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** The bundle's source, ready to inline (escaped for <script>). Synchronous; memoised per process. */
export function plotlyBundle(): string {
  if (cached !== undefined) return cached;
  const target = cacheFile();
  if (process.env.VITSCOPE_PLOTLY_MINIFY !== '0') {
    try {
      cached = fs.readFileSync(target, 'utf8');
      return cached;
    } catch {
      // not cached yet
    }
    try {
      const esbuild = require('esbuild') as { transformSync(code: string, opts: object): { code: string } };
      const raw = fs.readFileSync(plotlyBundlePath(), 'utf8');
      const min = escapeInlineScript(esbuild.transformSync(raw, { minify: true, legalComments: 'none', target: 'es2020' }).code);
      try {
        writeFileAtomicSync(target, min);
      } catch {
        // read-only node_modules: keep it in memory
      }
      cached = min;
      return cached;
    } catch {
      // no esbuild: use the bundle as shipped
    }
  }
  cached = escapeInlineScript(fs.readFileSync(plotlyBundlePath(), 'utf8'));
  return cached;
}

/** A <script> element defining window.Plotly. */
export function plotlyScriptTag(): string {
  return `<script type="text/javascript">/* plotly.js ${plotlyVersion()} (MIT), inlined */\n${plotlyBundle()}\n</script>`;
}
