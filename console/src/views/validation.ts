import { h, uid } from '../dom.js';
import { dateTime, duration } from '../format.js';
import type { Revocation } from '../types.js';
import type { Context } from '../view.js';

type Validation = NonNullable<Revocation['validation']>;

/**
 * Domain validation: the TXT record and the file to publish (either proves control), with copy
 * buttons, the deadline counting down, and "Check now" where the API offers it.
 */
export function validationPanel(
  ctx: Context,
  v: Validation,
  options: { check?: () => Promise<void>; stops: (() => void)[]; onError: (e: unknown) => void },
): HTMLElement {
  const left = h('strong', {});
  const tick = () => {
    const ms = Date.parse(v.deadline) - Date.now();
    left.textContent = ms > 0 ? `${duration(ms)} left` : 'the deadline has passed';
  };
  tick();
  const timer = setInterval(tick, 1000);
  options.stops.push(() => clearInterval(timer));

  const checkButton = options.check
    ? h(
        'button',
        {
          type: 'button',
          onclick: async (e: Event) => {
            const b = e.currentTarget as HTMLButtonElement;
            b.disabled = true;
            try {
              await options.check!();
            } catch (error) {
              options.onError(error);
            } finally {
              b.disabled = false;
            }
          },
        },
        'Check now',
      )
    : null;

  return h(
    'section',
    { 'aria-labelledby': 'validation-heading' },
    h('h2', { id: 'validation-heading' }, 'Prove control of the domain'),
    h('p', {}, 'Deadline: ', h('time', { datetime: v.deadline }, dateTime(v.deadline)), ' — ', left, '. Publish either of these; we check regularly, or press "Check now".'),
    v.automatic ? h('p', { class: 'notice' }, 'Your DNS is hosted here: the record has been added for you.') : null,
    h('h3', {}, 'DNS record'),
    h('dl', { class: 'facts' }, copyRow(ctx, 'Name', v.dns.name), copyRow(ctx, 'Type', v.dns.type), copyRow(ctx, 'Value', v.dns.value)),
    h('h3', {}, 'Or a file on the web server'),
    h('dl', { class: 'facts' }, copyRow(ctx, 'URL', v.file.url), copyRow(ctx, 'Content', v.file.content)),
    v.lastCheckedAt ? h('p', { class: 'hint' }, `Last checked ${dateTime(v.lastCheckedAt)}: not found yet.`) : null,
    checkButton,
  );
}

function copyRow(ctx: Context, label: string, value: string): Node[] {
  const id = uid('copy');
  return [
    h('dt', { id }, label),
    h(
      'dd',
      { class: 'copy-row' },
      h('code', { class: 'value' }, value),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-describedby': id,
          onclick: async () => {
            try {
              await navigator.clipboard.writeText(value);
              ctx.say(`${label} copied.`);
            } catch {
              ctx.say(`Copying is not available here: select the ${label.toLowerCase()} and copy it.`);
            }
          },
        },
        'Copy',
      ),
    ),
  ];
}
