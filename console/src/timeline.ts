import { h } from './dom.js';
import { dateTime, eventWords, sentence } from './format.js';
import type { AuditEvent } from './types.js';

/** The audit history, oldest first, as the certificate's status timeline. */
export function timeline(events: AuditEvent[]): HTMLElement {
  if (events.length === 0) return h('p', {}, 'No history yet.');
  return h(
    'ol',
    { class: 'timeline' },
    events.map((e) => {
      const d = e.detail ?? {};
      const extra = [
        typeof d.route === 'string' ? `route: ${d.route.replaceAll('_', ' ')}` : '',
        typeof d.reason === 'string' && d.reason ? `reason: ${d.reason}` : '',
        typeof d.failureCode === 'string' ? sentence(d.failureCode) : '',
        typeof d.code === 'string' ? sentence(d.code) : '',
        typeof d.reviewerNote === 'string' ? `reviewer: ${d.reviewerNote}` : '',
        typeof d.note === 'string' ? `note: ${d.note}` : '',
      ].filter(Boolean);
      return h('li', {}, h('time', { datetime: e.at }, dateTime(e.at)), h('strong', {}, eventWords(e.type)), ` by ${e.actor}`, extra.length ? h('div', { class: 'hint' }, extra.join(' · ')) : null);
    }),
  );
}

/** The request an event history names last: the revocation or reissue to follow from a certificate. */
export function latestRequest(events: AuditEvent[]): { kind: 'revocation' | 'reissue'; id: string } | undefined {
  for (const e of [...events].reverse()) {
    const d = e.detail ?? {};
    if (e.type === 'revocation.submitted' && typeof d.revocationId === 'string') return { kind: 'revocation', id: d.revocationId };
    if (e.type === 'reissue.submitted' && typeof d.reissueId === 'string') return { kind: 'reissue', id: d.reissueId };
  }
  return undefined;
}
