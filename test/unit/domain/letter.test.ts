import { describe, expect, it } from 'vitest';
import { checkLetterSize, isLetterTypeAllowed, type LetterKind, type LetterType } from '../../../lib/domain/index.js';

describe('checkLetterSize', () => {
  it.each([
    { bytes: 0, code: 'LETTER_TOO_SMALL' },
    { bytes: 1023, code: 'LETTER_TOO_SMALL' },
    { bytes: 1_468_007, code: 'LETTER_TOO_LARGE' },
    { bytes: 10 * 1024 * 1024, code: 'LETTER_TOO_LARGE' },
  ])('rejects with $code when the letter is $bytes bytes', ({ bytes, code }) => {
    expect(checkLetterSize(bytes)).toEqual({ ok: false, code });
  });

  it.each([1024, 500_000, 1_468_006])('allows a letter when it is %i bytes (1 KiB to 1.4 MiB inclusive)', (bytes) => {
    expect(checkLetterSize(bytes)).toEqual({ ok: true });
  });
});

describe('isLetterTypeAllowed', () => {
  const cases: { kind: LetterKind; type: LetterType | undefined; allowed: boolean }[] = [
    { kind: 'application', type: 'jpg', allowed: true },
    { kind: 'application', type: 'gif', allowed: true },
    { kind: 'application', type: 'pdf', allowed: true },
    { kind: 'application', type: 'png', allowed: false },
    { kind: 'application', type: undefined, allowed: false },
    { kind: 'confirmation', type: 'jpg', allowed: true },
    { kind: 'confirmation', type: 'png', allowed: true },
    { kind: 'confirmation', type: 'pdf', allowed: true },
    { kind: 'confirmation', type: 'gif', allowed: false },
    { kind: 'confirmation', type: undefined, allowed: false },
  ];

  it.each(cases.filter((c) => c.allowed))('allows a $type file when the letter is an $kind letter', ({ kind, type }) => {
    expect(isLetterTypeAllowed(kind, type)).toBe(true);
  });

  it.each(cases.filter((c) => !c.allowed))('rejects a $type file when the letter is an $kind letter', ({ kind, type }) => {
    expect(isLetterTypeAllowed(kind, type)).toBe(false);
  });
});
