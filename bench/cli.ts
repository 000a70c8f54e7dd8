/** Small helpers shared by the bench sections: usage errors, statistics, formatting, progress. */
import { writeFileSync } from 'node:fs';

/** A bad command line: `main` prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatInt(n: number): string {
  return integer.format(n);
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${formatInt(ms)} ms`;
}

/** Status lines on stderr, so stdout stays for the results (and `--json`). */
export function status(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * A progress indicator on stderr: on a TTY one line redrawn with `\r` (at most every 100 ms),
 * otherwise one line per 10% so CI logs stay short.
 */
export function progress(label: string, total: number): { update(done: number): void; finish(): void } {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let lastDraw = 0;
  let lastDecile = 0;
  const line = (done: number) => {
    const fraction = total === 0 ? 1 : done / total;
    const width = 30;
    const filled = Math.round(fraction * width);
    const perSecond = done / Math.max((performance.now() - started) / 1000, 0.001);
    return `[bench] ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatInt(done)}/${formatInt(total)} (${formatInt(perSecond)}/s)`;
  };
  return {
    update(done) {
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        process.stderr.write(`\r${line(done)}`);
      } else {
        const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          process.stderr.write(`${line(done)}\n`);
        }
      }
    },
    finish() {
      if (tty) process.stderr.write(`\r${line(total)}\n`);
      else if (lastDecile < 10) process.stderr.write(`${line(total)}\n`);
    },
  };
}

/** A plain text table, columns padded; numbers should be formatted by the caller. */
export function table(rows: readonly (readonly string[])[], alignRight: (column: number) => boolean = (c) => c > 0): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (alignRight(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

/**
 * A section's `--json` result: on stdout, or into the file named by BENCH_RESULT_FILE when the
 * full run asked for it (stdout may also carry the service's own log lines).
 */
export function emitJson(result: unknown): void {
  const text = JSON.stringify(result, null, 2);
  if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, text);
  else console.log(text);
}
