import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini ships no messages (every issue would read "Invalid input"): a 400's `fields` keep the
// English ones classic zod gave. Set here, beside the definitions every schema module uses: the
// package is side-effect free, so a bundler drops a module imported only for what it does on load.
z.config(en());

export const instant = z.iso.datetime({ offset: true }).check(z.describe('ISO-8601 instant'));
export const id = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, and . _ : - only'));

/** C0 and C1 controls other than tab, line feed and carriage return. */
const isControl = (c: number) => (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f);
/** A UTF-16 half without its other half: it cannot be stored as UTF-8 without being replaced. */
const isLoneSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
const everyCodePoint = (s: string, ok: (c: number) => boolean) => Array.from(s).every((ch) => ok(ch.codePointAt(0)!));

/**
 * Text a person writes (a reason, a reviewer's note): stored and shown exactly as sent, so what
 * cannot be kept exactly is refused rather than altered — control characters (NUL, ESC, …; tab
 * and line breaks are fine) and ill-formed Unicode. Everything else is kept as is: emoji,
 * right-to-left text and its direction marks, markup (replies are JSON, never HTML).
 */
export const personText = (max: number) =>
  z
    .string()
    .check(
      z.maxLength(max, `must be at most ${max} characters`),
      z.refine((s) => everyCodePoint(s, (c) => !isControl(c)), 'must not contain control characters (tab and line breaks are allowed)'),
      z.refine((s) => everyCodePoint(s, (c) => !isLoneSurrogate(c)), 'must be well-formed Unicode (no unpaired surrogate)'),
    );

/** A listing's `nextCursor`, opaque here: the store that made it checks it (lib/adapters). */
export const cursor = z.string().check(z.maxLength(2048));
/** A page size from the query string. */
export const limit = z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20);
export const optionalString = (max: number) => z.optional(z.string().check(z.maxLength(max)));
/** A count in a reply. */
export const count = z.int().check(z.nonnegative());
export const domain = z.string().check(z.minLength(1), z.maxLength(253));

export const EnterpriseSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  registrationNumber: optionalString(100),
  country: optionalString(100),
  province: optionalString(100),
  city: optionalString(100),
  address: optionalString(300),
  contactName: optionalString(100),
  contactEmail: optionalString(254),
  contactPhone: optionalString(50),
});

export const IdParams = z.object({ id });

export const HealthReply = z.object({ status: z.literal('ok') });

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.string(),
  detail: z.string(),
  fields: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

/** A domain validation's challenge: a revocation's or a reissue's (the same instance in both). */
export const ValidationSchema = z.optional(
  z.object({
    deadline: z.string(),
    dns: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
    file: z.object({ url: z.string(), content: z.string() }),
    automatic: z.boolean(),
    lastCheckedAt: z.optional(z.string()),
    validatedAt: z.optional(z.string()),
  }),
);
