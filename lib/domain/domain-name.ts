import { parse } from 'tldts';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

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
  const parsed = parse(host, { allowPrivateDomains: false });
  if (!parsed.isIcann || !parsed.domain) return { ok: false, reason: 'must end in a public suffix under a registrable name' };
  return { ok: true, domain, registrableDomain: parsed.domain };
}

/** The registrable domain that keys the reissue lock; undefined when the domain is not valid. */
export function registrableDomainOf(domain: string): string | undefined {
  const check = checkDomainName(domain);
  return check.ok ? check.registrableDomain : undefined;
}
