import { h, replace, uid } from '../dom.js';
import { dateTime, duration, words } from '../format.js';
import { showError } from '../notice.js';
import type { Review } from '../types.js';
import type { Context, View } from '../view.js';

/** The review SLA: a request waiting longer than this shows in red. */
const SLA_MS = 24 * 3600 * 1000;

/** The pending queue of all accounts, oldest first, with each request's age. */
export function reviewsView(ctx: Context): View {
  const body = h('tbody');
  const element = h(
    'section',
    {},
    h('h1', {}, 'Review queue'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'hint' }, 'Requests waiting for a decision, oldest first; red past 24 hours'),
        h('thead', {}, h('tr', {}, ['Request', 'Certificate', 'Account', 'Submitted by', 'Waiting'].map((t) => h('th', { scope: 'col' }, t)))),
        body,
      ),
    ),
  );
  const load = async () => {
    const items: Review[] = [];
    let cursor: string | undefined;
    do {
      const page = await ctx.api.listReviews(cursor);
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && items.length < 500);
    const now = Date.now();
    replace(
      body,
      items.length === 0
        ? h('tr', {}, h('td', { colspan: 5 }, 'Nothing is waiting for a review.'))
        : items.map((r) => {
            const age = r.queuedAt ? now - Date.parse(r.queuedAt) : 0;
            const late = age > SLA_MS;
            return h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/reviews/${encodeURIComponent(r.id)}` }, r.kind === 'revocation' ? `Revocation (${words(r.revocation?.route ?? '')})` : 'Reissue')),
              h('td', {}, r.certificate?.domain ?? '—'),
              h('td', {}, r.account),
              h('td', {}, r.submittedBy),
              h('td', { class: late ? 'overdue' : '' }, r.queuedAt ? `${duration(age)}${late ? ' — past the 24-hour SLA' : ''}` : '—'),
            );
          }),
    );
  };
  return { element, load };
}

/** One request to decide: the certificate, the reason, the letter (thumbnail and full), approve or reject with a note. */
export function reviewView(ctx: Context, id: string): View {
  const element = h('section', {}, h('h1', {}, 'Review'), h('p', {}, 'Loading…'));
  const load = async () => {
    const r = await ctx.api.getReview(id);
    const c = r.certificate;
    const request = r.revocation ?? r.reissue;
    const noteId = uid('note');
    const noteHint = uid('note-hint');
    const note = h('textarea', { id: noteId, name: 'note', maxlength: 2000, 'aria-describedby': noteHint });
    const buttons = [
      h('button', { type: 'submit', name: 'decision', value: 'approve' }, 'Approve'),
      h('button', { type: 'submit', name: 'decision', value: 'reject', class: 'danger' }, 'Reject'),
    ];
    const problem = h('p', { class: 'error', role: 'alert' });
    const decide = h(
      'form',
      {
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const decision = (((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value ?? 'approve') as 'approve' | 'reject';
          const text = note.value.trim();
          if (decision === 'reject' && !text) {
            problem.textContent = 'Write a note for the customer to reject the request.';
            note.focus();
            return;
          }
          problem.textContent = '';
          buttons.forEach((b) => (b.disabled = true));
          try {
            await ctx.api.decide(r.id, decision, text || undefined);
            ctx.say(decision === 'approve' ? 'Approved.' : 'Rejected; the customer sees your note.');
            ctx.navigate('#/reviews');
          } catch (error) {
            buttons.forEach((b) => (b.disabled = false));
            showError(element, error);
          }
        },
      },
      h('div', {}, h('label', { for: noteId }, 'Note to the customer ', h('span', { id: noteHint, class: 'hint' }, '(required to reject)')), note),
      problem,
      h('div', { class: 'actions' }, buttons),
    );
    replace(
      element,
      h('h1', {}, `${r.kind === 'revocation' ? 'Revocation' : 'Reissue'} of ${c?.domain ?? 'a certificate'}`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Account'),
        h('dd', {}, r.account),
        h('dt', {}, 'Submitted by'),
        h('dd', {}, r.submittedBy),
        h('dt', {}, 'Waiting since'),
        h('dd', {}, r.queuedAt ? dateTime(r.queuedAt) : '—'),
        h('dt', {}, 'Reason'),
        h('dd', { 'data-testid': 'review-reason' }, request?.reason || '—'),
        r.revocation ? [h('dt', {}, 'Reason code'), h('dd', {}, r.revocation.reasonCode), h('dt', {}, 'Route'), h('dd', {}, words(r.revocation.route))] : null,
      ),
      c
        ? [
            h('h2', {}, 'Certificate'),
            h(
              'dl',
              { class: 'facts' },
              h('dt', {}, 'Domain'),
              h('dd', {}, c.domain),
              h('dt', {}, 'Product'),
              h('dd', {}, `${c.brand} ${c.algorithm === 'sm2' ? 'SM2 ' : ''}${c.productType}`),
              h('dt', {}, 'Serial number'),
              h('dd', {}, c.serialNumber),
              h('dt', {}, 'Organisation'),
              h('dd', {}, c.enterprise?.name ?? '—'),
            ),
          ]
        : null,
      r.letterUrl
        ? h(
            'section',
            { class: 'letter-preview', 'aria-labelledby': 'letter-h' },
            h('h2', { id: 'letter-h' }, 'Sealed letter'),
            r.thumbnailUrl ? h('p', {}, h('img', { src: r.thumbnailUrl, alt: 'Thumbnail of the uploaded letter', 'data-testid': 'letter-thumbnail' })) : null,
            h('p', {}, h('a', { href: r.letterUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Open the full letter'), h('span', { class: 'hint' }, ' (the link works for 5 minutes)')),
            r.revocation?.letter?.sha256 ? h('p', { class: 'hint' }, `SHA-256 ${r.revocation.letter.sha256}`) : null,
          )
        : null,
      h('h2', {}, 'Decision'),
      decide,
      h('p', {}, h('a', { href: '#/reviews' }, 'Back to the queue')),
    );
  };
  return { element, load };
}
