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
