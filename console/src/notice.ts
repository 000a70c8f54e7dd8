import { ApiError } from './api.js';
import { h } from './dom.js';
import { sentence } from './format.js';

/** A failure shown at the top of `into` (one at a time): the API's sentence, and each field problem. */
export function showError(into: Element, error: unknown): void {
  const api = error instanceof ApiError ? error : undefined;
  const notice = h(
    'div',
    { class: 'notice error', role: 'alert' },
    h('p', {}, api ? api.detail || sentence(api.code) : 'Something went wrong; try again.'),
    api?.fields.length ? h('ul', {}, api.fields.map((f) => h('li', {}, `${f.path.replace(/^body\./, '')}: ${f.message}`))) : null,
  );
  const existing = into.querySelector(':scope > .notice.error');
  if (existing) existing.replaceWith(notice);
  else into.prepend(notice);
  if (!api) console.warn(error);
}

/** Removes the failure shown by showError, once the next attempt worked. */
export function clearError(into: Element): void {
  into.querySelector(':scope > .notice.error')?.remove();
}
