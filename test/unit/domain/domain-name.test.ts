import { describe, expect, it } from 'vitest';
import { checkDomainName, registrableDomainOf } from '../../../lib/domain/index.js';

describe('checkDomainName', () => {
  it.each([
    { input: 'ssl.example.com', domain: 'ssl.example.com', registrable: 'example.com' },
    { input: 'example.com', domain: 'example.com', registrable: 'example.com' },
    { input: 'a.example.co.uk', domain: 'a.example.co.uk', registrable: 'example.co.uk' },
    { input: 'b.example.co.uk', domain: 'b.example.co.uk', registrable: 'example.co.uk' },
    { input: '*.example.com', domain: '*.example.com', registrable: 'example.com' },
    { input: '*.shop.example.co.uk', domain: '*.shop.example.co.uk', registrable: 'example.co.uk' },
    { input: 'WWW.Example.COM', domain: 'www.example.com', registrable: 'example.com' },
    { input: 'www.example.com.', domain: 'www.example.com', registrable: 'example.com' },
    { input: 'a-b.xn--fiqs8s', domain: 'a-b.xn--fiqs8s', registrable: 'a-b.xn--fiqs8s' },
    // Wildcard-only suffixes: `*.bd`, and `*.ck` with the exception `!www.ck`.
    { input: 'shop.example.com.bd', domain: 'shop.example.com.bd', registrable: 'example.com.bd' },
    { input: 'www.ck', domain: 'www.ck', registrable: 'www.ck' },
    { input: `${'a'.repeat(63)}.example.com`, domain: `${'a'.repeat(63)}.example.com`, registrable: 'example.com' },
  ])('allows $input when it is a well-formed domain, registrable $registrable', ({ input, domain, registrable }) => {
    expect(checkDomainName(input)).toEqual({ ok: true, domain, registrableDomain: registrable });
  });

  /** Four valid labels and `.com`: `d` sets the total length, so only the total can fail. */
  const nameOfLength = (total: number) => `${['a', 'b', 'c'].map((ch) => ch.repeat(63)).join('.')}.${'d'.repeat(total - 196)}.com`;

  it('allows a domain when it is exactly 253 characters long', () => {
    const name = nameOfLength(253);
    expect(name).toHaveLength(253);
    expect(checkDomainName(name)).toMatchObject({ ok: true, domain: name });
  });

  it('rejects the domain when it is 254 characters long', () => {
    const name = nameOfLength(254);
    expect(name).toHaveLength(254);
    expect(checkDomainName(name)).toMatchObject({ ok: false });
  });

  it.each([
    { when: 'it is empty', input: '' },
    { when: 'it is only spaces', input: '   ' },
    { when: 'it has a single label', input: 'localhost' },
    { when: 'a label is longer than 63 characters', input: `${'a'.repeat(64)}.example.com` },
    { when: 'a label starts with a hyphen', input: '-ssl.example.com' },
    { when: 'a label ends with a hyphen', input: 'ssl-.example.com' },
    { when: 'it contains an underscore', input: 'my_host.example.com' },
    { when: 'it contains a space', input: 'my host.example.com' },
    { when: 'it has an empty label', input: 'ssl..example.com' },
    { when: 'the TLD is unknown', input: 'foo.notatld' },
    { when: 'it is an IP address', input: '192.168.0.1' },
    { when: 'it is a bare public suffix', input: 'co.uk' },
    { when: 'it is a wildcard on a public suffix', input: '*.co.uk' },
    { when: 'the wildcard is not the leftmost label', input: 'www.*.example.com' },
    { when: 'it has a URL scheme', input: 'https://example.com' },
  ])('rejects the domain when $when', ({ input }) => {
    const check = checkDomainName(input);
    expect(check.ok).toBe(false);
    expect(check).toHaveProperty('reason', expect.any(String));
  });
});

describe('registrableDomainOf', () => {
  it('allows the same reissue lock key when two hosts share a registrable domain under a multi-label suffix', () => {
    expect(registrableDomainOf('a.example.co.uk')).toBe('example.co.uk');
    expect(registrableDomainOf('b.example.co.uk')).toBe(registrableDomainOf('a.example.co.uk'));
  });

  it('rejects sharing a lock key when the registrable domains differ under the same suffix', () => {
    expect(registrableDomainOf('a.example.co.uk')).not.toBe(registrableDomainOf('a.other.co.uk'));
  });

  it('allows a wildcard to share the lock key of its base domain', () => {
    expect(registrableDomainOf('*.example.com')).toBe('example.com');
    expect(registrableDomainOf('ssl.example.com')).toBe('example.com');
  });

  it.each(['', 'localhost', '192.168.0.1', 'foo.notatld', 'bad_host.example.com'])(
    'rejects a lock key (undefined) when the domain %j is invalid',
    (input) => {
      expect(registrableDomainOf(input)).toBeUndefined();
    },
  );
});
