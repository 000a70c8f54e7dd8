import { h, replace, saveBlob, uid } from '../dom.js';
import { date, dateTime, sentence, words } from '../format.js';
import { showError } from '../notice.js';
import { latestRequest, timeline } from '../timeline.js';
import type { Certificate } from '../types.js';
import type { Context, View } from '../view.js';

/** One certificate: its facts, the actions the API allows (or why not), its current request and history. */
export function certificateView(ctx: Context, id: string): View {
  const element = h('section', {}, h('h1', {}, 'Certificate'), h('p', {}, 'Loading…'));
  const load = async () => {
    const [c, events] = await Promise.all([ctx.api.getCertificate(id), ctx.api.events(id)]);
    const request = latestRequest(events);
    replace(
      element,
      h('h1', {}, c.domain),
      h('p', {}, h('span', { class: `badge ${c.status}` }, words(c.status)), c.renewalStatus === 'to_be_renewed' ? ' · due for renewal' : ''),
      actions(ctx, element, c),
      request && (c.status === 'revoking' || c.status === 'reissuing' || c.status === 'issued' || c.status === 'revoked')
        ? h('p', {}, h('a', { href: `#/${request.kind}s/${encodeURIComponent(request.id)}` }, request.kind === 'revocation' ? 'The latest revocation request' : 'The latest reissue request'))
        : null,
      h('h2', {}, 'Details'),
      facts(c),
      h('h2', {}, 'History'),
      timeline(events),
    );
  };
  return { element, load };
}

function actions(ctx: Context, element: HTMLElement, c: Certificate): HTMLElement {
  const action = (label: string, allowed: { allowed: boolean; code?: string | undefined }, run: () => void | Promise<void>, className = '') => {
    const why = allowed.allowed ? undefined : uid('why');
    return h(
      'div',
      { class: 'action' },
      h(
        'button',
        {
          type: 'button',
          class: className,
          disabled: !allowed.allowed,
          ...(why ? { 'aria-describedby': why } : {}),
          onclick: () => void Promise.resolve(run()).catch((e: unknown) => showError(element, e)),
        },
        label,
      ),
      why ? h('span', { id: why, class: 'why' }, sentence(allowed.code ?? '')) : null,
    );
  };
  return h(
    'div',
    { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    action('Revoke', c.actions.revoke, () => ctx.navigate(`#/certificates/${encodeURIComponent(c.id)}/revoke`), 'danger'),
    action('Reissue', c.actions.reissue, () => ctx.navigate(`#/certificates/${encodeURIComponent(c.id)}/reissue`)),
    action('Download', c.actions.download, async () => {
      const { blob } = await ctx.api.download(c.id);
      saveBlob(blob, `${c.domain.replace(/^\*\./, 'wildcard.')}.pem`);
      ctx.say('The certificate chain was downloaded.');
    }, 'secondary'),
    action('Delete', c.actions.delete, async () => {
      if (!confirm(`Delete the certificate for ${c.domain}? Its history is kept.`)) return;
      await ctx.api.deleteCertificate(c.id);
      ctx.say(`The certificate for ${c.domain} was deleted.`);
      ctx.navigate('#/certificates');
    }, 'secondary'),
  );
}

function facts(c: Certificate): HTMLElement {
  const rows: [string, string][] = [
    ['Brand', `${c.brand}${c.algorithm === 'sm2' ? ' (SM2)' : ''}`],
    ['Type', `${c.productType}${c.free ? ', free' : ''}${c.wildcard ? ', wildcard' : ''}`],
    ['Other names', c.sans.join(', ') || '—'],
    ['Serial number', c.serialNumber],
    ['Valid', `${date(c.notBefore)} – ${date(c.notAfter)}`],
    ['Issued', dateTime(c.issuedAt)],
    ['Validity', `${c.validityYears} year${c.validityYears === 1 ? '' : 's'}`],
    ['Domain validation', c.domainValidation.replace('_auto', ' (automatic)')],
    ['Source', c.source === 'platform' ? 'issued through this platform' : 'uploaded'],
  ];
  if (c.originalCertificateId) rows.push(['Reissued from', c.originalCertificateId]);
  if (c.enterprise) rows.push(['Organisation', c.enterprise.name]);
  return h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}
