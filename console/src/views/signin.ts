import { h, uid } from '../dom.js';
import { signIn } from '../session.js';
import type { Context, View } from '../view.js';

/**
 * Sign in with a bearer token: pasted (a token from the organisation's issuer), or locally one
 * minted for a demo user by the local runtime's /local/token (never deployed).
 */
export function signInView(ctx: Context): View {
  const tokenId = uid('token');
  const problem = h('p', { class: 'error', role: 'alert' });
  const use = (token: string) => {
    const who = signIn(token);
    if (!who) {
      problem.textContent = 'That is not a token the console can read (a JWT with a sub claim).';
      return;
    }
    ctx.navigate(who.roles.includes('customer') ? '#/certificates' : '#/reviews');
  };

  const form = h(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        use((form.elements.namedItem('token') as HTMLTextAreaElement).value);
      },
    },
    h('label', { for: tokenId }, 'Bearer token ', h('span', { class: 'hint' }, '(an access token from your sign-in provider)')),
    h('textarea', { id: tokenId, name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' }),
    h('div', {}, h('button', { type: 'submit' }, 'Sign in')),
  );

  const local = ctx.config.local;
  const picker = local
    ? h(
        'section',
        { 'aria-labelledby': 'local-users' },
        h('h2', { id: 'local-users' }, 'Local runtime: sign in as a demo user'),
        h(
          'div',
          { class: 'signin-users' },
          local.users.map((user) =>
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: async () => {
                  const res = await fetch(`${ctx.config.apiUrl}/local/token`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: JSON.stringify({ sub: user.sub, account: user.account, roles: user.roles }),
                  });
                  if (!res.ok) return void (problem.textContent = 'The local runtime did not mint a token.');
                  use(((await res.json()) as { token: string }).token);
                },
              },
              `${user.sub} — ${user.label}`,
            ),
          ),
        ),
      )
    : null;

  return { element: h('section', {}, h('h1', {}, 'Sign in'), problem, picker, h('h2', {}, 'Paste a token'), form) };
}
