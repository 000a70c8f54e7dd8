import { planRevocationRoute, REASON_MAX_LENGTH, SUBSCRIBER_REASON_CODES } from '../../../lib/domain/revocation.js';
import { h, replace, uid } from '../dom.js';
import { sentence } from '../format.js';
import { showError } from '../notice.js';
import type { Certificate } from '../types.js';
import type { Context, View } from '../view.js';

const REASON_CODE_WORDS: Record<(typeof SUBSCRIBER_REASON_CODES)[number], string> = {
  unspecified: 'Unspecified',
  keyCompromise: 'The private key was compromised',
  affiliationChanged: 'The organisation or its details changed',
  superseded: 'Replaced by another certificate',
  cessationOfOperation: 'The site or service no longer operates',
};

/** What follows a submission, by route: shown before the customer commits. */
const NEXT_STEPS: Record<string, string> = {
  auto: 'The certificate is revoked at once; no further step is needed.',
  domain_validation: 'Next you prove control of the domain with a DNS record or a file, within 3 days.',
  review: 'A reviewer checks the request; you are told the outcome here.',
  letter: 'Next you download a letter template, stamp it with the official seal, and upload the scan; a reviewer then checks it.',
};

/**
 * The revoke wizard, step 1: reason and reason code. The route (what follows) and whether a
 * reason is required come from the same rule the API applies (lib/domain/revocation.ts).
 */
export function revokeView(ctx: Context, id: string): View {
  const element = h('section', {}, h('h1', {}, 'Revoke certificate'), h('p', {}, 'Loading…'));
  // One key for this wizard: a double submit or a retry after a network error is the same request.
  const idempotencyKey = crypto.randomUUID();
  const load = async () => {
    const c = await ctx.api.getCertificate(id);
    if (!c.actions.revoke.allowed) {
      replace(element, h('h1', {}, `Revoke ${c.domain}`), h('p', { class: 'notice error' }, sentence(c.actions.revoke.code ?? '')), backLink(c));
      return;
    }
    replace(element, h('h1', {}, `Revoke ${c.domain}`), form(ctx, element, c, idempotencyKey), backLink(c));
  };
  return { element, load };
}

function form(ctx: Context, element: HTMLElement, c: Certificate, idempotencyKey: string): HTMLFormElement {
  const plan = planRevocationRoute(c);
  const codeId = uid('reason-code');
  const reasonId = uid('reason');
  const reasonHint = uid('reason-hint');
  const finalId = uid('final');
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Submit revocation');
  const f: HTMLFormElement = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const data = new FormData(f);
        const reason = String(data.get('reason') ?? '').trim();
        submit.disabled = true;
        try {
          const revocation = await ctx.api.submitRevocation(c.id, { reasonCode: String(data.get('reasonCode')), ...(reason ? { reason } : {}) }, idempotencyKey);
          ctx.say('The revocation was submitted.');
          ctx.navigate(`#/revocations/${encodeURIComponent(revocation.id)}`);
        } catch (error) {
          submit.disabled = false;
          showError(element, error);
        }
      },
    },
    h('p', { class: 'notice' }, h('strong', {}, 'Revocation is final. '), 'Once submitted it cannot be cancelled, and the certificate can no longer be downloaded or deployed.'),
    h('p', {}, NEXT_STEPS[plan.route]),
    h('div', {}, h('label', { for: codeId }, 'Reason code ', h('span', { class: 'hint' }, '(written on the CRL entry)')), h('select', { id: codeId, name: 'reasonCode' }, SUBSCRIBER_REASON_CODES.map((code) => h('option', { value: code }, REASON_CODE_WORDS[code])))),
    h(
      'div',
      {},
      h('label', { for: reasonId }, 'Reason ', h('span', { class: 'hint' }, plan.reasonRequired ? '(required)' : '(optional)')),
      h('textarea', { id: reasonId, name: 'reason', maxlength: REASON_MAX_LENGTH, required: plan.reasonRequired, 'aria-describedby': reasonHint }),
      h('span', { id: reasonHint, class: 'hint' }, `At most ${REASON_MAX_LENGTH} characters.`),
    ),
    h('label', { class: 'choice', for: finalId }, h('input', { type: 'checkbox', id: finalId, name: 'final', required: true }), 'I understand that this revocation cannot be cancelled.'),
    h('div', {}, submit),
  );
  return f;
}

function backLink(c: Certificate): HTMLElement {
  return h('p', {}, h('a', { href: `#/certificates/${encodeURIComponent(c.id)}` }, 'Back to the certificate'));
}
