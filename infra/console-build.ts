import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

/** The console's sources: console/src/main.ts and the two static files beside it. */
export const CONSOLE_ROOT = resolve(import.meta.dirname, '../console');
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');

export interface ConsoleFile {
  name: string;
  contentType: string;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  map: 'application/json',
  css: 'text/css; charset=utf-8',
};

/**
 * Builds the console: one minified ES module (its only dependency is the domain rules it shares
 * with the API: lib/domain), its source map, index.html and styles.css. In memory: the local
 * runtime serves the files from here, and writeConsole puts them in a folder for S3.
 */
export function buildConsole(): ConsoleFile[] {
  const result = buildSync({
    entryPoints: [join(CONSOLE_ROOT, 'src/main.ts')],
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2022', 'chrome120', 'firefox121', 'safari17'],
    platform: 'browser',
    outfile: join(CONSOLE_DIST, 'app.js'),
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const built = result.outputFiles.map((f) => ({ name: f.path.slice(CONSOLE_DIST.length + 1), body: Buffer.from(f.contents) }));
  const statics = ['index.html', 'styles.css'].map((name) => ({ name, body: readFileSync(join(CONSOLE_ROOT, name)) }));
  return [...statics, ...built].map((f) => ({ ...f, contentType: TYPES[f.name.split('.').pop()!] ?? 'application/octet-stream' }));
}

/**
 * The console's Content-Security-Policy: its own files, calls to the API, uploads to (and
 * letter previews from) the S3 endpoint; no inline script, no framing, nothing else.
 */
export function consoleCsp(origins: { api: string; uploads: string }): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${origins.api} ${origins.uploads}`,
    `img-src 'self' data: blob: ${origins.uploads}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Writes the built console to `dir` (emptied first), for deployment as static files. */
export function writeConsole(dir = CONSOLE_DIST): string {
  const files = buildConsole();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.name), f.body);
  return dir;
}

// `npm run build`
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = writeConsole();
  console.log(`console built into ${dir}`);
}
