// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no browser download) that renders
// figures to SVG and PNG with Plotly.toImage. One browser and one page serve many figures.
import { existsSync } from 'node:fs';
import type { Figure } from './figure.ts';
import { plotlyBundle } from './plotly-bundle.ts';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  // WebGL (3-D surface plots) through the software rasteriser when there is no GPU.
  '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
];

/** $VITSCOPE_CHROMIUM when set (undefined if it does not exist), else the first usual Debian/Ubuntu path that exists. */
export function chromiumPath(): string | undefined {
  const env = process.env.VITSCOPE_CHROMIUM;
  if (env) return existsSync(env) ? env : undefined;
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
}

export type ImageFormat = 'svg' | 'png';

// Structural types for the bits of playwright-core used here (keeps playwright's types out of the API).
interface PwPage {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { content: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  on(event: 'console' | 'pageerror', cb: (m: { type?: () => string; text?: () => string; message?: string }) => void): void;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

export class ChromiumRenderer {
  private constructor(private readonly browser: PwBrowser, private readonly page: PwPage, readonly errors: string[]) {}

  /** Launches Chromium, or returns undefined (with the reason) when it is absent or fails to start. */
  static async launch(): Promise<{ renderer?: ChromiumRenderer; reason?: string }> {
    const executablePath = chromiumPath();
    if (!executablePath) return { reason: `Chromium not found (looked at ${process.env.VITSCOPE_CHROMIUM ? `$VITSCOPE_CHROMIUM=${process.env.VITSCOPE_CHROMIUM}` : '/usr/bin/chromium'}, /usr/bin/chromium-browser, /usr/bin/google-chrome; apt-get install chromium)` };
    let browser: PwBrowser | undefined;
    try {
      const { chromium } = (await import('playwright-core')) as unknown as { chromium: { launch(o: object): Promise<PwBrowser> } };
      browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e.message ?? e)));
      await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="plot"></div></body></html>');
      await page.addScriptTag({ content: plotlyBundle() });
      return { renderer: new ChromiumRenderer(browser, page, errors) };
    } catch (err) {
      await browser?.close().catch(() => undefined);
      return { reason: `Chromium at ${executablePath} failed to start: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  /** SVG text or PNG bytes of `fig` at its layout size (PNG at `scale` times the pixels). */
  async render(fig: Figure, format: 'svg', scale?: number): Promise<string>;
  async render(fig: Figure, format: 'png', scale?: number): Promise<Uint8Array>;
  async render(fig: Figure, format: ImageFormat, scale = 2): Promise<string | Uint8Array> {
    const width = typeof fig.layout.width === 'number' ? fig.layout.width : 820;
    const height = typeof fig.layout.height === 'number' ? fig.layout.height : 500;
    const url = await this.page.evaluate(
      async (a: { data: unknown[]; layout: object; format: string; width: number; height: number; scale: number }) => {
        const P = (globalThis as unknown as { Plotly: { toImage(fig: object, o: object): Promise<string>; purge(el: unknown): void } }).Plotly;
        const doc = (globalThis as unknown as { document: { getElementById(id: string): unknown } }).document;
        const el = doc.getElementById('plot');
        try {
          return await P.toImage({ data: a.data, layout: a.layout, config: { staticPlot: true } }, { format: a.format, width: a.width, height: a.height, scale: a.scale });
        } finally {
          P.purge(el);
        }
      },
      { data: fig.data, layout: fig.layout, format, width, height, scale: format === 'png' ? scale : 1 },
    );
    const comma = url.indexOf(',');
    const header = url.slice(0, comma);
    const body = url.slice(comma + 1);
    if (format === 'svg') return header.includes(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
    return new Uint8Array(Buffer.from(body, 'base64'));
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
