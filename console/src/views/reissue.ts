import { REASON_MAX_LENGTH } from '../../../lib/domain/revocation.js';
import { h, replace, saveBlob, uid } from '../dom.js';
import { dateTime, sentence, words } from '../format.js';
import { showError } from '../notice.js';
import type { Certificate, Reissue } from '../types.js';
import type { Context, View } from '../view.js';
import { pollingView, stopAll } from '../poll.js';
import { validationPanel } from './validation.js';

const KEY_SIZES: Record<string, number[]> = { RSA: [2048, 4096], ECC: [256, 384], SM2: [] };
const ENTERPRISE_FIELDS = [
  ['name', 'Organisation name'],
  ['registrationNumber', 'Registration number'],
  ['country', 'Country'],
  ['province', 'Province'],
  ['city', 'City'],
  ['address', 'Address'],
] as const;

/** The reissue form: the three CSR modes, the bound domain, the reason and, for OV/EV, the organisation. */
export function reissueFormView(ctx: Context, id: string): View {
  const element = h('section', {}, h('h1', {}, 'Reissue certificate'), h('p', {}, 'Loading…'));
  const load = async () => {
    const c = await ctx.api.getCertificate(id);
    const back = h('p', {}, h('a', { href: `#/certificates/${encodeURIComponent(c.id)}` }, 'Back to the certificate'));
    if (!c.actions.reissue.allowed) return replace(element, h('h1', {}, `Reissue ${c.domain}`), h('p', { class: 'notice error' }, sentence(c.actions.reissue.code ?? '')), back);
    replace(element, h('h1', {}, `Reissue ${c.domain}`), h('p', {}, 'The new certificate keeps this one\'s expiry date.'), form(ctx, element, c), back);
  };
  return { element, load };
}

function form(ctx: Context, element: HTMLElement, c: Certificate): HTMLFormElement {
  const ids = { domain: uid('domain'), reason: uid('reason'), alg: uid('alg'), size: uid('size'), password: uid('pw'), csr: uid('csr') };
  const alg = h('select', { id: ids.alg, name: 'keyAlgorithm' }, Object.keys(KEY_SIZES).map((a) => h('option', { value: a }, a)));
  const size = h('select', { id: ids.size, name: 'keySize' });
  const sizeRow = h('div', {}, h('label', { for: ids.size }, 'Key size'), size);
  const fillSizes = () => {
    const sizes = KEY_SIZES[alg.value] ?? [];
    replace(size, sizes.map((s) => h('option', { value: s }, alg.value === 'ECC' ? `P-${s}` : `${s} bits`)));
    sizeRow.hidden = sizes.length === 0;
  };
  alg.addEventListener('change', fillSizes);
  fillSizes();
  const generate = h(
    'fieldset',
    { hidden: true },
    h('legend', {}, 'Key to generate'),
    h('div', {}, h('label', { for: ids.alg }, 'Algorithm'), alg),
    sizeRow,
    h('div', {}, h('label', { for: ids.password }, 'Private key password ', h('span', { class: 'hint' }, '(optional, at least 8 characters; encrypts the key you download)')), h('input', { type: 'password', id: ids.password, name: 'keyPassword', minlength: 8, maxlength: 128, autocomplete: 'new-password' })),
  );
  const paste = h('div', { hidden: true }, h('label', { for: ids.csr }, 'CSR ', h('span', { class: 'hint' }, '(PEM, -----BEGIN CERTIFICATE REQUEST-----)')), h('textarea', { id: ids.csr, name: 'csr', spellcheck: 'false' }));
  const modes = h(
    'fieldset',
    {},
    h('legend', {}, 'Certificate signing request'),
    (
      [
        ['original', 'Reuse the current CSR'],
        ['generate', 'Generate a new key here (you download it once)'],
        ['paste', 'Paste my own CSR'],
      ] as const
    ).map(([value, text], i) => {
      const id = uid('mode');
      return h('label', { class: 'choice', for: id }, h('input', { type: 'radio', id, name: 'csrMode', value, checked: i === 0 }), text);
    }),
  );
  modes.addEventListener('change', () => {
    const mode = (modes.querySelector('input:checked') as HTMLInputElement).value;
    generate.hidden = mode !== 'generate';
    paste.hidden = mode !== 'paste';
    (paste.querySelector('textarea') as HTMLTextAreaElement).required = mode === 'paste';
  });
  const organisation =
    c.productType === 'DV'
      ? null
      : h(
          'fieldset',
          {},
          h('legend', {}, 'Organisation ', h('span', { class: 'hint' }, '(changed details need a reviewer\'s approval)')),
          ENTERPRISE_FIELDS.map(([key, label]) => {
            const id = uid(key);
            return h('div', {}, h('label', { for: id }, label), h('input', { type: 'text', id, name: `enterprise.${key}`, value: c.enterprise?.[key] ?? '', required: key === 'name' }));
          }),
        );
  const submit = h('button', { type: 'submit' }, 'Submit reissue');
  const f: HTMLFormElement = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const data = new FormData(f);
        const mode = String(data.get('csrMode'));
        const body: Record<string, unknown> = { csrMode: mode, domain: String(data.get('domain')).trim(), reason: String(data.get('reason')).trim() };
        if (mode === 'generate') {
          body.keyAlgorithm = data.get('keyAlgorithm');
          if (data.get('keySize')) body.keySize = Number(data.get('keySize'));
          if (data.get('keyPassword')) body.keyPassword = data.get('keyPassword');
        }
        if (mode === 'paste') body.csr = data.get('csr');
        if (organisation) {
          const enterprise: Record<string, string> = { ...(c.enterprise as Record<string, string> | undefined) };
          for (const [key] of ENTERPRISE_FIELDS) {
            const value = String(data.get(`enterprise.${key}`) ?? '').trim();
            if (value) enterprise[key] = value;
            else delete enterprise[key];
          }
          body.enterprise = enterprise;
        }
        submit.disabled = true;
        try {
          const reissue = await ctx.api.submitReissue(c.id, body);
          ctx.say('The reissue was submitted.');
          ctx.navigate(`#/reissues/${encodeURIComponent(reissue.id)}`);
        } catch (error) {
          submit.disabled = false;
          showError(element, error);
        }
      },
    },
    modes,
    generate,
    paste,
    h('div', {}, h('label', { for: ids.domain }, 'Bound domain'), h('input', { type: 'text', id: ids.domain, name: 'domain', value: c.domain, required: true, maxlength: 253 })),
    h('div', {}, h('label', { for: ids.reason }, 'Reason ', h('span', { class: 'hint' }, `(required, at most ${REASON_MAX_LENGTH} characters)`)), h('textarea', { id: ids.reason, name: 'reason', required: true, maxlength: REASON_MAX_LENGTH })),
    organisation,
    h('div', {}, submit),
  );
  return f;
}

/** A reissue and its progress; the generated private key, downloadable once. Refreshed until it ends. */
export function reissueView(ctx: Context, id: string): View {
  const element = h('section', {}, h('h1', {}, 'Reissue'), h('p', {}, 'Loading…'));
  return pollingView(element, 3_000, async (stops) => {
    const r = await ctx.api.getReissue(id);
    stopAll(stops);
    replace(element, ...page(ctx, element, r, stops));
    return { again: r.status !== 'issued' && r.status !== 'failed' };
  });
}

function page(ctx: Context, element: HTMLElement, r: Reissue, stops: (() => void)[]): Node[] {
  const nodes: Node[] = [
    h('h1', {}, `Reissue for ${r.domain}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Status'),
      h('dd', {}, h('span', { class: `badge ${r.status}` }, words(r.status))),
      h('dt', {}, 'CSR'),
      h('dd', {}, r.csrMode),
      h('dt', {}, 'Reviewer approval'),
      h('dd', {}, r.needsReview ? 'needed' : 'not needed'),
      h('dt', {}, 'Submitted'),
      h('dd', {}, dateTime(r.createdAt)),
    ),
  ];
  if (r.privateKeyAvailable) {
    nodes.push(
      h(
        'div',
        { class: 'notice' },
        h('p', {}, 'Your new private key can be downloaded once. Keep it safe: it is destroyed here after this download.'),
        h(
          'button',
          {
            type: 'button',
            onclick: async (e: Event) => {
              const notice = (e.currentTarget as HTMLElement).closest('.notice')!;
              try {
                const { blob } = await ctx.api.privateKey(r.id);
                saveBlob(blob, `${r.domain.replace(/^\*\./, 'wildcard.')}.key.pem`);
                // Offered once: the service has destroyed its copy, so nothing is left to offer.
                replace(notice, h('p', {}, 'The private key was downloaded and is no longer kept here.'));
                ctx.say('The private key was downloaded.');
              } catch (error) {
                showError(element, error);
              }
            },
          },
          'Download the private key',
        ),
      ),
    );
  }
  if (r.status === 'pending_validation' && r.validation) nodes.push(validationPanel(ctx, r.validation, { stops, onError: (e) => showError(element, e) }));
  if (r.status === 'pending_review') nodes.push(h('p', { class: 'notice' }, 'Waiting for a reviewer to approve the changed organisation details.'));
  if (r.status === 'issued' && r.newCertificateId) nodes.push(h('p', { class: 'notice' }, 'Issued. ', h('a', { href: `#/certificates/${encodeURIComponent(r.newCertificateId)}` }, 'Open the new certificate')));
  if (r.status === 'failed') nodes.push(h('div', { class: 'notice error' }, h('p', {}, 'The reissue failed: ', sentence(r.failureCode ?? '')), r.reviewerNote ? h('p', {}, 'The reviewer wrote: ', h('q', {}, r.reviewerNote)) : null));
  nodes.push(h('p', {}, h('a', { href: `#/certificates/${encodeURIComponent(r.certificateId)}` }, 'Back to the certificate')));
  return nodes;
}
