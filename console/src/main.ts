import { Api } from './api.js';
import { h, replace } from './dom.js';
import { showError } from './notice.js';
import { currentToken, identity, signOut } from './session.js';
import type { Context, View } from './view.js';
import { certificateView } from './views/certificate.js';
import { certificatesView } from './views/certificates.js';
import { reissueFormView, reissueView } from './views/reissue.js';
import { reviewsView, reviewView } from './views/reviews.js';
import { revokeView } from './views/revoke.js';
import { revocationView } from './views/revocation.js';
import { signInView } from './views/signin.js';

/** Deployed beside the console: where the API is, and locally the demo users to sign in as. */
export interface ConsoleConfig {
  apiUrl: string;
  local?: { users: { label: string; sub: string; account: string; roles: string[] }[] };
}

const ROUTES: [RegExp, (ctx: Context, ...params: string[]) => View][] = [
  [/^#\/signin$/, signInView],
  [/^#\/certificates$/, certificatesView],
  [/^#\/certificates\/([^/]+)$/, certificateView],
  [/^#\/certificates\/([^/]+)\/revoke$/, revokeView],
  [/^#\/certificates\/([^/]+)\/reissue$/, reissueFormView],
  [/^#\/revocations\/([^/]+)$/, revocationView],
  [/^#\/reissues\/([^/]+)$/, reissueView],
  [/^#\/reviews$/, reviewsView],
  [/^#\/reviews\/([^/]+)$/, reviewView],
];

const main = document.getElementById('main')!;
const statusLine = document.getElementById('status')!;
let current: View | undefined;

async function boot(): Promise<void> {
  const config = (await (await fetch('config.json', { cache: 'no-store' })).json()) as ConsoleConfig;
  const api = new Api(config.apiUrl.replace(/\/$/, ''), currentToken, () => {
    signOut();
    location.hash = '#/signin';
  });
  const ctx: Context = { api, config, say: (message) => (statusLine.textContent = message), navigate: (hash) => (location.hash = hash) };
  const route = () => {
    current?.leave?.();
    statusLine.textContent = '';
    renderChrome();
    const hash = location.hash || '#/';
    const who = identity();
    if (!who && hash !== '#/signin') return void (location.hash = '#/signin');
    if (hash === '#/' || hash === '#') return void (location.hash = who?.roles.includes('reviewer') && !who.roles.includes('customer') ? '#/reviews' : '#/certificates');
    const match = ROUTES.map(([pattern, view]) => [pattern.exec(hash), view] as const).find(([m]) => m);
    if (!match) return show(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the start')));
    const [m, make] = match;
    current = make(ctx, ...m!.slice(1).map(decodeURIComponent));
    show(current.element);
    current.load?.().catch((error: unknown) => showError(current!.element, error));
  };
  window.addEventListener('hashchange', route);
  route();
}

/** Shows a view and moves focus to its heading, as a page load would for a screen reader. */
function show(...nodes: Node[]): void {
  replace(main, ...nodes);
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

function renderChrome(): void {
  const who = identity();
  const nav = document.getElementById('nav')!;
  const links: [string, string][] = [];
  if (who?.roles.includes('customer')) links.push(['#/certificates', 'My certificates']);
  if (who?.roles.includes('reviewer')) links.push(['#/reviews', 'Review queue']);
  replace(nav, ...links.map(([href, text]) => h('a', { href, ...(location.hash.startsWith(href) ? { 'aria-current': 'page' } : {}) }, text)));
  replace(
    document.getElementById('who')!,
    ...(who
      ? [
          h('span', {}, `${who.sub} · ${who.account} · ${who.roles.join(', ')}`),
          h('button', { class: 'secondary', type: 'button', onclick: () => (signOut(), (location.hash = '#/signin')) }, 'Sign out'),
        ]
      : []),
  );
}

boot().catch((error: unknown) => {
  replace(main, h('h1', {}, 'The console could not start'), h('p', { class: 'error' }, String((error as Error).message ?? error)));
});
