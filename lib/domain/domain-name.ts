import { parse } from 'tldts-icann';
import { TOP_LEVEL_DOMAINS } from './top-level-domains.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** tldts-icann answers an unknown TLD by the default `*` rule, as if it were listed: we look it up. */
const KNOWN_TLDS: ReadonlySet<string> = new Set(TOP_LEVEL_DOMAINS.split(' '));

export type DomainCheck = { ok: true; domain: string; registrableDomain: string } | { ok: false; reason: string };

/**
 * Validates a bound domain (`ssl.example.com`, or `*.example.com` for a wildcard) and returns
 * its registrable domain, public-suffix aware: `a.example.co.uk` → `example.co.uk`.
 */
export function checkDomainName(input: string): DomainCheck {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  const host = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (host.length === 0 || host.length > 253) return { ok: false, reason: 'must be 1 to 253 characters long' };
  const labels = host.split('.');
  if (labels.length < 2) return { ok: false, reason: 'must have at least two labels' };
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) return { ok: false, reason: `label "${bad}" must be 1–63 letters, digits or inner hyphens` };
  const parsed = parse(host);
  if (!KNOWN_TLDS.has(labels[labels.length - 1]!) || !parsed.domain) return { ok: false, reason: 'must end in a public suffix under a registrable name' };
  return { ok: true, domain, registrableDomain: parsed.domain };
}

/** The registrable domain that keys the reissue lock; undefined when the domain is not valid. */
export function registrableDomainOf(domain: string): string | undefined {
  const check = checkDomainName(domain);
  return check.ok ? check.registrableDomain : undefined;
}
