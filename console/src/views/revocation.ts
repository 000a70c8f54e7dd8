import { checkLetterSize, isLetterTypeAllowed, LETTER_SNIFF_BYTES, sniffLetterType } from '../../../lib/domain/letter.js';
import { h, replace, saveBlob, uid } from '../dom.js';
import { dateTime, sentence, words } from '../format.js';
import { clearError, showError } from '../notice.js';
import { timeline } from '../timeline.js';
import type { Certificate, Revocation, UploadSlot } from '../types.js';
import type { Context, View } from '../view.js';
import { pollingView, stopAll } from '../poll.js';
import { validationPanel } from './validation.js';

const FINAL = new Set(['revoked', 'failed']);
const POLL_MS = 2_000;

/**
 * A revocation request and what it waits for: the DNS record and file to publish, or the
 * letter to download and upload, or a reviewer; then its outcome. Refreshed every 2 s until
 * it ends (but never under a running upload).
 */
export function revocationView(ctx: Context, id: string): View {
  const element = h('section', {}, h('h1', {}, 'Revocation'), h('p', {}, 'Loading…'));
  let shownVersion = '';
  let uploading = false;
  const view = pollingView(element, POLL_MS, async (stops) => {
    const r = await ctx.api.getRevocation(id);
    const version = `${r.updatedAt}|${r.status}|${r.letter?.status}|${r.letter?.rejections.length}|${r.validation?.lastCheckedAt}`;
    // Never under a running upload: the form and its progress bar stay.
    if (version !== shownVersion && !uploading) {
      shownVersion = version;
      const [c, events] = await Promise.all([ctx.api.getCertificate(r.certificateId), ctx.api.events(r.certificateId)]);
      stopAll(stops);
      replace(element, ...page(ctx, element, r, c, { onUploading: (on) => (uploading = on), refresh: () => view.refreshNow(), stops }), h('h2', {}, 'Status timeline'), timeline(events));
    }
    return { again: !FINAL.has(r.status) };
  });
  return view;
}

interface PageHooks {
  onUploading: (on: boolean) => void;
  refresh: () => void;
  stops: (() => void)[];
}

function page(ctx: Context, element: HTMLElement, r: Revocation, c: Certificate, hooks: PageHooks): Node[] {
  const nodes: Node[] = [
    h('h1', {}, `Revocation of ${c.domain}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Status'),
      h('dd', {}, h('span', { class: `badge ${r.status}`, 'data-testid': 'revocation-status' }, words(r.status))),
      h('dt', {}, 'Route'),
      h('dd', {}, words(r.route)),
      h('dt', {}, 'Reason code'),
      h('dd', {}, r.reasonCode),
      h('dt', {}, 'Reason'),
      h('dd', {}, r.reason || '—'),
      h('dt', {}, 'Submitted'),
      h('dd', {}, dateTime(r.createdAt)),
      r.cascadeCertificateIds.length ? [h('dt', {}, 'Also revoked'), h('dd', {}, `${r.cascadeCertificateIds.length} certificate(s) reissued from this one`)] : null,
    ),
  ];
  if (r.status === 'revoked') nodes.push(h('p', { class: 'notice' }, 'The certificate is revoked: the CA has published it on its revocation list.'));
  if (r.status === 'failed') {
    nodes.push(
      h(
        'div',
        { class: 'notice error' },
        h('p', {}, 'The revocation failed: ', sentence(r.failureCode ?? '')),
        r.reviewerNote ? h('p', {}, 'The reviewer wrote: ', h('q', {}, r.reviewerNote)) : null,
        h('p', {}, 'The certificate is issued again; you may apply again.'),
      ),
    );
  }
  if (r.status === 'pending_review') nodes.push(h('p', { class: 'notice' }, 'Waiting for a reviewer. You will see the decision here.'));
  if (r.status === 'pending_validation' && r.validation) {
    nodes.push(
      validationPanel(ctx, r.validation, {
        check: async () => {
          await ctx.api.checkValidation(r.id);
          ctx.say('Checked. The result shows in a moment.');
          hooks.refresh();
        },
        stops: hooks.stops,
        onError: (e) => showError(element, e),
      }),
    );
  }
  if (r.letter) nodes.push(letterPanel(ctx, element, r, hooks));
  return nodes;
}

function letterPanel(ctx: Context, element: HTMLElement, r: Revocation, hooks: PageHooks): HTMLElement {
  const letter = r.letter!;
  const kindWords = letter.kind === 'application' ? 'application letter' : 'confirmation letter';
  const panel = h('section', { 'aria-labelledby': 'letter-heading' }, h('h2', { id: 'letter-heading' }, `Sealed ${kindWords}`));
  if (letter.status === 'accepted') {
    panel.append(h('p', { class: 'notice' }, 'The letter was accepted. ', h('span', { class: 'hint' }, `SHA-256 ${letter.sha256 ?? ''}`)));
  }
  if (letter.rejections.length) {
    panel.append(
      h('h3', {}, 'Earlier uploads that were not accepted'),
      h('ul', { 'data-testid': 'letter-rejections' }, letter.rejections.map((x) => h('li', {}, `${dateTime(x.at)}: ${sentence(x.code)}`))),
    );
  }
  if (letter.status === 'accepted' || r.status !== 'pending_letter') return panel;

  const fileId = uid('letter');
  const fileHint = uid('letter-hint');
  const problem = h('p', { class: 'error', role: 'alert' });
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const input = h('input', { type: 'file', id: fileId, name: 'letter', accept: letter.allowedTypes.map((t) => (t === 'jpg' ? '.jpg,.jpeg,image/jpeg' : t === 'pdf' ? '.pdf,application/pdf' : `.${t},image/${t}`)).join(','), 'aria-describedby': fileHint });
  const upload = h('button', { type: 'submit', disabled: true }, 'Upload letter');

  input.addEventListener('change', () => {
    void (async () => {
      problem.textContent = '';
      upload.disabled = true;
      const file = input.files?.[0];
      if (!file) return;
      const code = await precheck(file, letter.kind);
      if (code) problem.textContent = sentence(code);
      else upload.disabled = false;
    })();
  });

  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const file = input.files?.[0];
        if (!file) return;
        upload.disabled = true;
        input.disabled = true;
        hooks.onUploading(true);
        progress.hidden = false;
        try {
          const slot = await ctx.api.letterUpload(r.id);
          await postToS3(slot, file, (fraction) => (progress.value = Math.round(fraction * 100)));
          clearError(element);
          ctx.say('Uploaded. The letter is being checked…');
          problem.textContent = '';
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('S3')) problem.textContent = 'The upload did not go through; try again.';
          else showError(element, error);
          upload.disabled = false;
          input.disabled = false;
          progress.hidden = true;
        } finally {
          hooks.onUploading(false);
          hooks.refresh();
        }
      },
    },
    h(
      'ol',
      {},
      h('li', {}, h('button', { type: 'button', class: 'secondary', onclick: () => void downloadTemplate(ctx, r).catch((e: unknown) => showError(element, e)) }, 'Download the letter template'), ' (PDF, filled in with this certificate\'s details).'),
      h('li', {}, 'Print it, sign it and stamp it with your organisation\'s official seal.'),
      h('li', {}, 'Scan it and upload the scan below.'),
    ),
    h('div', {}, h('label', { for: fileId }, 'Scanned letter'), input, h('span', { id: fileHint, class: 'hint' }, `${letter.allowedTypes.map((t) => t.toUpperCase()).join(', ')}; from 1 KiB to 1.4 MiB. One accepted letter per request.`)),
    problem,
    progress,
    h('div', {}, upload),
  );
  panel.append(form);
  return panel;
}

/** The server's own checks of size and type (lib/domain/letter.ts), before anything is sent; the server still decides. */
async function precheck(file: File, kind: 'application' | 'confirmation'): Promise<string | undefined> {
  const size = checkLetterSize(file.size);
  if (!size.ok) return size.code;
  const head = new Uint8Array(await file.slice(0, LETTER_SNIFF_BYTES).arrayBuffer());
  if (!isLetterTypeAllowed(kind, sniffLetterType(head))) return 'LETTER_TYPE_NOT_ALLOWED';
  return undefined;
}

/** The presigned POST, straight from the browser to S3, with progress (XHR: fetch reports none for uploads). */
function postToS3(slot: UploadSlot, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [k, v] of Object.entries(slot.fields)) body.append(k, v);
    body.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', slot.url);
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300 ? (onProgress(1), resolve()) : reject(new Error(`S3 answered ${xhr.status}`))));
    xhr.addEventListener('error', () => reject(new Error('S3 could not be reached')));
    xhr.send(body);
  });
}

async function downloadTemplate(ctx: Context, r: Revocation): Promise<void> {
  const { blob } = await ctx.api.letterTemplate(r.id);
  saveBlob(blob, `revocation-${r.id}-letter.pdf`);
  ctx.say('The letter template was downloaded.');
}

