import { describe, expect, it } from 'vitest';
import { DOMAIN_VALIDATION_METHODS, createValidationChallenge, isPastDeadline, secondsUntilNextCheck } from '../../../lib/domain/index.js';
import { NOW } from '../../fixtures/certificates.js';

const base = { token: 'tok-123', submittedAt: NOW, method: 'dns' as const, dnsHostedHere: false };

describe('createValidationChallenge', () => {
  it('allows both a DNS record and a file when the domain is validated, with a 3-day deadline', () => {
    expect(createValidationChallenge({ ...base, domain: 'ssl.example.com' })).toEqual({
      deadline: '2026-06-04T00:00:00.000Z',
      dns: { name: '_dnsauth.ssl.example.com', type: 'TXT', value: 'tok-123' },
      file: { url: 'http://ssl.example.com/.well-known/pki-validation/fileauth.txt', content: 'tok-123' },
      automatic: false,
    });
  });

  it('allows validating the base domain when the certificate is a wildcard', () => {
    const challenge = createValidationChallenge({ ...base, domain: '*.example.com' });
    expect(challenge.dns.name).toBe('_dnsauth.example.com');
    expect(challenge.file.url).toBe('http://example.com/.well-known/pki-validation/fileauth.txt');
  });

  it('rejects a deadline other than submission + 3 days when submitted at an arbitrary instant', () => {
    const submittedAt = new Date('2026-02-27T13:45:10.123Z');
    expect(createValidationChallenge({ ...base, domain: 'ssl.example.com', submittedAt }).deadline).toBe('2026-03-02T13:45:10.123Z');
  });

  const automaticCases = DOMAIN_VALIDATION_METHODS.flatMap((method) =>
    [true, false].map((dnsHostedHere) => ({ method, dnsHostedHere, automatic: method === 'dns_auto' && dnsHostedHere })),
  );

  it.each(automaticCases)(
    'allows automatic publication only when dns_auto and DNS hosted here (method $method, hosted $dnsHostedHere → $automatic)',
    ({ method, dnsHostedHere, automatic }) => {
      expect(createValidationChallenge({ ...base, domain: 'ssl.example.com', method, dnsHostedHere }).automatic).toBe(automatic);
    },
  );
});

describe('isPastDeadline', () => {
  const deadline = '2026-06-04T00:00:00.000Z';
  const at = Date.parse(deadline);

  it('allows validation to continue when now is 1 ms before the deadline', () => {
    expect(isPastDeadline(deadline, new Date(at - 1))).toBe(false);
  });

  it.each([
    { when: 'now is the deadline itself', now: new Date(at) },
    { when: 'now is a day after the deadline', now: new Date(at + 86_400_000) },
  ])('rejects validation as expired when $when', ({ now }) => {
    expect(isPastDeadline(deadline, now)).toBe(true);
  });
});

describe('secondsUntilNextCheck', () => {
  const deadline = '2026-06-04T00:00:00.000Z';
  it.each([
    ['a full poll interval while the deadline is far', '2026-06-01T00:00:00.000Z', 300, 300],
    ['only the time left when the deadline is nearer than a poll', '2026-06-03T23:59:00.000Z', 300, 60],
    ['a whole second for a fraction left', '2026-06-03T23:59:59.500Z', 300, 1],
    ['at least one second at or past the deadline', '2026-06-04T00:00:05.000Z', 300, 1],
  ])('waits %s', (_label, now, poll, expected) => {
    expect(secondsUntilNextCheck(deadline, new Date(now), poll)).toBe(expected);
  });
});
