/**
 * The browser demo's server (`npm run demo:browser`): builds rx-rrm/browser and the demo page, then
 * serves them with the headers that make the page cross-origin isolated (two threads), and the
 * UltraFace model and sample clips from ../shared/data when they are there. The browser tests and
 * `npm run bench -- browser` start it too. Serves files only under the folders it names; binds to
 * 127.0.0.1 unless told otherwise.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildBrowser, ROOT } from '../../scripts/build-browser.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SHARED_DATA = resolve(ROOT, '../shared/data');
export const DEMO_MODEL = 'ultraface-slim-320.onnx';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.map': 'application/json',
  '.json': 'application/json', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.mp4': 'video/mp4', '.webm': 'video/webm',
  '.gif': 'image/gif', '.png': 'image/png', '.rgb': 'application/octet-stream', '.svg': 'image/svg+xml',
};

export interface BrowserServerOptions {
  readonly port?: number;
  readonly host?: string;
  /** Send COOP/COEP so that the page is cross-origin isolated (default true). */
  readonly isolated?: boolean;
  /** Where the model and clips are (default ../shared/data). */
  readonly dataDir?: string;
  /** More folders to serve: URL prefix (`/ort/`) -> folder. */
  readonly folders?: Readonly<Record<string, string>>;
  /** More scripts to compile: URL (`/bench.js`) -> TypeScript entry, bundled with rx-rrm/browser left to the import map. */
  readonly scripts?: Readonly<Record<string, string>>;
  /** More files to serve as they are: URL (`/bench.html`) -> file. */
  readonly pages?: Readonly<Record<string, string>>;
}

export interface DataStatus {
  readonly available: boolean;
  /** Why the model or clips are missing, in one line. */
  readonly reason?: string;
  readonly model?: string;
  readonly clips: readonly string[];
}

export interface BrowserServer {
  readonly url: string;
  readonly data: DataStatus;
  close(): Promise<void>;
}

export function dataStatus(dataDir = SHARED_DATA): DataStatus {
  const model = join(dataDir, 'models', DEMO_MODEL);
  const videos = join(dataDir, 'videos');
  const clips = existsSync(videos) ? readdirSync(videos).filter((f) => /\.(mp4|webm)$/.test(f)).sort() : [];
  if (!existsSync(dataDir)) return { available: false, reason: `${dataDir} is absent: the UltraFace model and the sample clips live there, beside the repository (never in it)`, clips };
  if (!existsSync(model)) return { available: false, reason: `${model} is missing`, clips };
  return { available: true, model: `/data/models/${DEMO_MODEL}`, clips: clips.map((c) => `/data/videos/${c}`) };
}

/** Builds the library bundle and the page scripts, then listens. */
export async function startBrowserServer(options: BrowserServerOptions = {}): Promise<BrowserServer> {
  const built = await buildBrowser();
  if (built.errors.length) throw new Error(`building rx-rrm/browser failed: ${built.errors.map((e: { text: string }) => e.text).join('; ')}`);
  const scripts = new Map<string, Uint8Array>();
  for (const [url, entry] of Object.entries({ '/app.js': join(HERE, 'app.ts'), ...options.scripts })) {
    const result = await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', target: 'es2022', write: false, external: ['rx-rrm/browser', 'onnxruntime-web'], logLevel: 'silent' });
    scripts.set(url, result.outputFiles[0]!.contents);
  }
  const dataDir = options.dataDir ?? SHARED_DATA;
  const data = dataStatus(dataDir);
  const folders: Record<string, string> = {
    '/lib/rx-rrm/': join(ROOT, 'dist/browser'),
    '/data/models/': join(dataDir, 'models'),
    '/data/videos/': join(dataDir, 'videos'),
    ...options.folders,
  };
  const pages: Record<string, string> = { '/': join(HERE, 'index.html'), '/style.css': join(HERE, 'style.css'), ...options.pages };
  const isolated = options.isolated ?? true;

  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (isolated) {
      response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (path === '/data/status.json') return send(response, 200, TYPES['.json']!, JSON.stringify(data));
    const script = scripts.get(path);
    if (script) return send(response, 200, TYPES['.js']!, script);
    if (pages[path]) return sendFile(request, response, pages[path]!);
    for (const [prefix, folder] of Object.entries(folders)) {
      if (!path.startsWith(prefix)) continue;
      const file = resolve(folder, `.${sep}${path.slice(prefix.length)}`);
      if (!file.startsWith(resolve(folder) + sep)) break;
      if (!existsSync(file) && prefix.startsWith('/data/')) return send(response, 404, 'text/plain', `not found: ${path} (${data.reason ?? `no such file in ${dataDir}`})`);
      return sendFile(request, response, file);
    }
    send(response, 404, 'text/plain', `not found: ${path}`);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', done);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    data,
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}

function send(response: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/** A file, with byte ranges (a `<video>` asks for them). */
function sendFile(request: IncomingMessage, response: ServerResponse, file: string): void {
  if (!existsSync(file) || !statSync(file).isFile()) return send(response, 404, 'text/plain', `not found: ${request.url}`);
  const size = statSync(file).size;
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  if (range && (range[1] || range[2])) {
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) return send(response, 416, 'text/plain', 'range not satisfiable');
    response.writeHead(206, { 'Content-Type': type, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Accept-Ranges': 'bytes' });
    createReadStream(file, { start, end }).pipe(response);
    return;
  }
  response.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Accept-Ranges': 'bytes' });
  createReadStream(file).pipe(response);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 8080);
  const server = await startBrowserServer({ port });
  console.log(`rx-rrm browser demo: ${server.url} (cross-origin isolated: two threads where the browser has 2 cores)`);
  console.log(server.data.available ? `model and ${server.data.clips.length} sample clips from ${SHARED_DATA}` : `NOTE: ${server.data.reason}; the page will say so (the webcam needs the model too)`);
}
