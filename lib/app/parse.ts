import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini ships no messages: a refusal keeps the English ones classic zod gave. Set here, in the
// module whose parse the caller uses, since a module imported only for this would be dropped
// (the package is side-effect free); lib/app/schemas/common.ts sets them for the API schemas.
z.config(en());

/**
 * `schema`'s output for `value`, or its error thrown under classic zod's name: zod/mini calls it
 * "$ZodError", and "ZodError" is what Lambda reports and a workflow's Catch sees.
 */
export function parseOrThrow<S extends z.ZodMiniType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw Object.assign(parsed.error, { name: 'ZodError' });
  return parsed.data as z.output<S>;
}
