import { CERTIFICATE_STATUSES } from '../../../lib/domain/certificate.js';
import { h, replace, uid } from '../dom.js';
import { date, words } from '../format.js';
import { showError } from '../notice.js';
import type { Certificate } from '../types.js';
import type { Context, View } from '../view.js';

/** "My certificates": the account's certificates, filterable by status, 50 a page. */
export function certificatesView(ctx: Context): View {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const filterId = uid('status');
  const filter = h('select', { id: filterId }, h('option', { value: '' }, 'All'), CERTIFICATE_STATUSES.map((s) => h('option', { value: s }, words(s))));
  const element = h(
    'section',
    {},
    h('h1', {}, 'My certificates'),
    h('p', {}, h('label', { for: filterId }, 'Status'), filter),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'hint' }, 'Certificates of your account'),
        h('thead', {}, h('tr', {}, ['Domain', 'Brand', 'Type', 'Expires', 'Status', 'Renewal'].map((t) => h('th', { scope: 'col' }, t)))),
        body,
      ),
    ),
    more,
  );

  let cursor: string | undefined;
  const load = async (reset: boolean) => {
    if (reset) {
      cursor = undefined;
      replace(body);
    }
    const page = await ctx.api.listCertificates(cursor, filter.value || undefined);
    body.append(...page.items.map(row));
    if (reset && page.items.length === 0) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No certificates.')));
    cursor = page.nextCursor ?? undefined;
    more.hidden = !cursor;
  };
  filter.addEventListener('change', () => void load(true).catch((e: unknown) => showError(element, e)));
  more.addEventListener('click', () => void load(false).catch((e: unknown) => showError(element, e)));
  return { element, load: () => load(true) };
}

function row(c: Certificate): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, h('a', { href: `#/certificates/${encodeURIComponent(c.id)}` }, c.domain)),
    h('td', {}, c.brand, c.algorithm === 'sm2' ? ' SM2' : ''),
    h('td', {}, c.productType),
    h('td', {}, h('time', { datetime: c.notAfter }, date(c.notAfter))),
    h('td', {}, h('span', { class: `badge ${c.status}` }, words(c.status))),
    h('td', {}, words(c.renewalStatus)),
  );
}
