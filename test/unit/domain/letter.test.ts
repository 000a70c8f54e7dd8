import { describe, expect, it } from 'vitest';
import { checkLetterSize, isLetterTypeAllowed, sniffLetterType, type LetterKind, type LetterType } from '../../../lib/domain/index.js';

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

describe('sniffLetterType', () => {
  const bytes = (...b: number[]) => Uint8Array.from([...b, 0, 0, 0, 0, 0, 0, 0, 0]);
  const ascii = (s: string) => bytes(...Buffer.from(s, 'latin1'));

  it.each([
    ['jpg', bytes(0xff, 0xd8, 0xff, 0xe0)],
    ['png', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)],
    ['gif', ascii('GIF89a')],
    ['gif', ascii('GIF87a')],
    ['pdf', ascii('%PDF-1.7')],
  ] as const)('names a %s file from its first bytes', (type, head) => {
    expect(sniffLetterType(head)).toBe(type);
  });

  it.each([
    ['an empty file', new Uint8Array()],
    ['a JPEG without its third marker byte', bytes(0xff, 0xd8, 0x00)],
    ['a PNG signature cut short', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00)],
    ['GIF88a', ascii('GIF88a')],
    ['a PDF announced in lower case', ascii('%pdf-1.7')],
    ['a ZIP', ascii('PK\x03\x04')],
    ['a WebP', ascii('RIFF\x00\x00\x00\x00WEBP')],
  ])('names no type for %s', (_what, head) => {
    expect(sniffLetterType(head)).toBeUndefined();
  });
});
