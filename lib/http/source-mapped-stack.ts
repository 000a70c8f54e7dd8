import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * A stack trace with each frame in a bundle (`…/index.mjs:1:4711`) pointed at its source
 * (`lib/app/revoke.ts:88:11`), read from the `.map` beside the bundle the first time an error is
 * logged. The functions run without `--enable-source-maps`: with it, Node parses every bundle's
 * map at start (12–14 ms of the letter processor's cold start), for traces only an unhandled
 * error needs. Frames with no map beside them (source run by tsx, Node's own) are left as they are.
 */
export function sourceMappedStack(stack: string): string {
  return stack.replace(BUNDLE_FRAME, (frame: string, file: string, line: string, column: string) => {
    const map = mapOf(file);
    const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return frame;
    return `${sourceName(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** `file:///var/task/index.mjs:1:4711` or `/var/task/index.mjs:1:4711`. */
const BUNDLE_FRAME = /((?:file:\/\/)?\/[^\s():]+\.[cm]?js):(\d+):(\d+)/g;

/** Each bundle's map once, or null when it has none (a failed read is not retried per frame). */
const maps = new Map<string, SourceMap | null>();

function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  try {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as SourceMapPayload);
  } catch {
    map = null;
  }
  maps.set(file, map);
  return map;
}

/** esbuild writes sources relative to the map (`../../lib/app/revoke.ts`): the project path is enough. */
function sourceName(source: string): string {
  return source.replace(/^(?:file:\/\/)?(?:[^\s]*?\/)?(?=(?:lib|functions|node_modules|infra)\/)/, '');
}
