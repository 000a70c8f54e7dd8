import { describe, expect, it } from 'vitest';
import { TOP_LEVEL_DOMAINS } from '../../../lib/domain/top-level-domains.js';
import { topLevelDomainsOfTrie } from '../../../scripts/top-level-domains.js';

describe('the top-level domains the domain check knows', () => {
  it('are exactly those of the public-suffix list tldts-icann ships (else run scripts/top-level-domains.ts)', () => {
    expect(TOP_LEVEL_DOMAINS.split(' ')).toEqual(topLevelDomainsOfTrie());
  });

  it('include generic, country, wildcard-only and IDN top-level domains, and nothing unlisted', () => {
    const known = new Set(TOP_LEVEL_DOMAINS.split(' '));
    for (const tld of ['com', 'uk', 'ck', 'bd', 'xn--fiqs8s', 'app']) expect(known.has(tld)).toBe(true);
    for (const tld of ['notatld', 'local', 'localhost', 'invalid', '']) expect(known.has(tld)).toBe(false);
    expect(known.size).toBeGreaterThan(1400);
  });
});
