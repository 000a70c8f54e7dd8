import type { RuleCode } from './codes.js';
import { LETTER_TYPES, type LetterKind, type LetterType } from './revocation.js';

/** 1 KiB … 1.4 MiB, both inclusive: 1.4 × 1,048,576 = 1,468,006.4, so 1,468,006 bytes. */
export const LETTER_MIN_BYTES = 1024;
export const LETTER_MAX_BYTES = 1_468_006;

export type LetterSizeCheck = { ok: true } | { ok: false; code: Extract<RuleCode, 'LETTER_TOO_SMALL' | 'LETTER_TOO_LARGE'> };

export function checkLetterSize(bytes: number): LetterSizeCheck {
  if (bytes < LETTER_MIN_BYTES) return { ok: false, code: 'LETTER_TOO_SMALL' };
  if (bytes > LETTER_MAX_BYTES) return { ok: false, code: 'LETTER_TOO_LARGE' };
  return { ok: true };
}

/** The type decided from the file's content, checked against the route's allow-list. */
export function isLetterTypeAllowed(kind: LetterKind, detected: LetterType | undefined): boolean {
  return detected !== undefined && LETTER_TYPES[kind].includes(detected);
}

/**
 * The type a file's first bytes announce (JPEG SOI marker, PNG signature, GIF87a/89a, `%PDF-`),
 * for a quick check before an upload. Only a hint: the processor decides from the whole file
 * (magic bytes and a full decode), so a file this names may still be rejected.
 */
export function sniffLetterType(head: Uint8Array): LetterType | undefined {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return 'jpg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0x47, 0x49, 0x46, 0x38) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return 'gif';
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'pdf';
  return undefined;
}

/** How many leading bytes sniffLetterType reads. */
export const LETTER_SNIFF_BYTES = 8;
