/**
 * One headless Chromium and the demo server (with the test page, test/browser/page.html) for a
 * browser test file; a fake camera playing `clip` when asked, as a Y4M made by the project's ffmpeg.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startBrowserServer, type BrowserServer, type BrowserServerOptions } from '../../examples/browser/server.js';
import { fakeCameraFlags, launchChromium } from './chromium.js';
import { ffmpeg } from './ffmpeg.js';
import { REPO_ROOT } from './examples.js';

export interface BrowserSession {
  readonly server: BrowserServer;
  readonly browser: Browser;
  /** A new context (camera allowed unless `camera: false`) and page at `path` (default the test page, ready). */
  open(path?: string, options?: { camera?: boolean }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export interface SessionOptions extends BrowserServerOptions {
  /** A clip for the fake camera (or `'testsrc'`, ffmpeg's test pattern): its first `cameraFrames` frames at 320x240, 10 per second, looped by Chromium. */
  readonly cameraClip?: string;
  readonly cameraFrames?: number;
}

export async function startBrowserSession(options: SessionOptions = {}): Promise<BrowserSession> {
  const dir = mkdtempSync(join(tmpdir(), 'rrm-browser-'));
  const flags: string[] = [];
  if (options.cameraClip) {
    const y4m = join(dir, 'camera.y4m');
    const input = options.cameraClip === 'testsrc' ? ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10'] : ['-i', options.cameraClip];
    ffmpeg([...input, '-vf', 'scale=320:240,fps=10', '-pix_fmt', 'yuv420p', '-frames:v', String(options.cameraFrames ?? 20), y4m]);
    flags.push(...fakeCameraFlags(y4m));
  }
  const server = await startBrowserServer({
    ...options,
    scripts: { '/test-page.js': join(REPO_ROOT, 'test/browser/page.ts'), ...options.scripts },
    pages: { '/test.html': join(REPO_ROOT, 'test/browser/page.html'), ...options.pages },
  });
  const browser = await launchChromium(flags);
  return {
    server,
    browser,
    async open(path = 'test.html', { camera = true } = {}) {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      if (camera) await context.grantPermissions(['camera'], { origin: server.url });
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(new URL(path, server.url).href);
      if (path === 'test.html') await page.waitForFunction(() => (window as unknown as { rrmTest?: { ready: boolean } }).rrmTest?.ready === true);
      return { context, page };
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
export const floatsFromBase64 = (text: string): Float32Array => {
  const bytes = fromBase64(text);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
