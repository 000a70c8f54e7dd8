import { randomBytes } from 'node:crypto';
import { checkLetterSize, LETTER_MAX_BYTES } from '../domain/letter.js';
import { getOwnCertificate } from './certificates.js';
import { RuleViolationError, TaskGoneError, VersionConflictError } from './errors.js';
import type { AuditEvent, Caller, LetterRejection, Revocation } from './model.js';
import type { CertificateStore, Clock, EvidenceLinks, LetterInspector, LetterStore, LetterTemplateRenderer, RevocationStore, UploadSigner, Workflows } from './ports.js';
import { getOwnRevocation, startWorkflow } from './revocations.js';
import { event } from './revocation-steps.js';

export const UPLOAD_SLOT_SECONDS = 15 * 60;
const LETTER_URL_SECONDS = 5 * 60;

/**
 * What the letter processor remembers per upload key: the newest S3 event it has handled. S3
 * delivers events at least once and in no particular order; its `sequencer` orders the events
 * of one key.
 */
export interface UploadEventLog {
  /**
   * Records `sequencer` as the newest event of `key` unless a newer one is recorded already.
   * True: handle the event (a repeat of the newest is handled again, harmlessly: a redelivery
   * after a failure must not be lost). False: a newer event of the key was seen; ignore this one.
   */
  recordUploadEvent(key: string, sequencer: string): Promise<boolean>;
}

export interface LetterDeps {
  certificates: CertificateStore;
  revocations: RevocationStore & UploadEventLog;
  letters: LetterStore;
  workflows: Workflows;
  clock: Clock;
  warn: (message: string, detail: Record<string, unknown>) => void;
}

/** The pre-filled PDF the customer prints, signs, stamps and scans (letter route only). */
export async function letterTemplate(deps: { certificates: CertificateStore; revocations: RevocationStore; template: LetterTemplateRenderer }, caller: Caller, revocationId: string): Promise<Uint8Array> {
  const r = await getOwnRevocation(deps, caller, revocationId);
  if (!r.letter) throw new RuleViolationError('WRONG_STATE', 'This revocation does not need a letter.');
  const certificate = await getOwnCertificate({ store: deps.certificates }, caller, r.certificateId).catch(() => undefined);
  return deps.template.render({
    kind: r.letter.kind,
    revocationId: r.id,
    certificateId: r.certificateId,
    domains: certificate ? [certificate.domain, ...certificate.sans] : [],
    serialNumber: certificate?.serialNumber ?? '',
    brand: certificate?.brand ?? '',
    productType: certificate?.productType ?? '',
    reason: r.reason,
    reasonCode: r.reasonCode,
    date: r.createdAt.slice(0, 10),
    enterpriseName: certificate?.enterprise?.name,
  });
}

/**
 * Issues the one open upload slot of a letter request (customer).
 * 1. Only while `pending_letter`; once a letter is accepted, `LETTER_ALREADY_UPLOADED`.
 * 2. The key is the server's: `uploads/<account>/<request>/<slot>`; a new slot closes the last.
 * 3. A presigned POST pinning that key and 1 KiB … 1.4 MiB, valid 15 minutes.
 */
export async function issueUploadSlot(deps: Pick<LetterDeps, 'revocations' | 'clock'> & { uploads: UploadSigner }, caller: Caller, revocationId: string) {
  for (let attempt = 1; ; attempt++) {
    const r = await getOwnRevocation(deps, caller, revocationId);
    const letter = r.letter;
    if (!letter) throw new RuleViolationError('WRONG_STATE', 'This revocation does not need a letter.');
    if (letter.status === 'accepted') throw new RuleViolationError('LETTER_ALREADY_UPLOADED');
    if (r.status !== 'pending_letter') throw new RuleViolationError('WRONG_STATE', `The request is ${r.status}, not waiting for a letter.`);
    const now = deps.clock();
    const slotId = randomBytes(12).toString('base64url');
    const slot = { id: slotId, key: `uploads/${r.account}/${r.id}/${slotId}`, expiresAt: new Date(now.getTime() + UPLOAD_SLOT_SECONDS * 1000).toISOString() };
    try {
      await deps.revocations.transition({ ...r, letter: { ...letter, slot }, updatedAt: now.toISOString() }, r.version, [], []);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (attempt < 3) continue;
      // Not the conflict itself: it carries the stored request (task token included) into any log.
      throw new RuleViolationError('WRONG_STATE', 'The request changed meanwhile; ask for the upload again.');
    }
    const post = await deps.uploads.presignUpload(slot.key, { minBytes: letter.minBytes, maxBytes: letter.maxBytes, expiresSeconds: UPLOAD_SLOT_SECONDS });
    return { method: 'POST' as const, url: post.url, fields: post.fields, minBytes: letter.minBytes, maxBytes: letter.maxBytes, allowedTypes: letter.allowedTypes, expiresAt: slot.expiresAt };
  }
}

export type UploadOutcome = 'accepted' | 'rejected' | 'ignored';

/** What the S3 event said of the upload, when an event (not the reconciler) reports it. */
export interface UploadEvent {
  /** The S3 record's `s3.object.sequencer`: orders the events of one key. */
  sequencer?: string | undefined;
}

/** The processor alone decodes letters: only its bundle carries sharp and its native binary. */
export type ProcessingDeps = LetterDeps & { inspector: LetterInspector };

/**
 * Decides an uploaded letter from its bytes (S3 ObjectCreated). Safe to run twice, late or out
 * of order: only the current slot of a request still waiting for a letter counts, an event older
 * than one already handled for the key is ignored, and the first accepted letter wins by a
 * conditional write on the request.
 * 1. Anything else under `uploads/` is deleted and ignored.
 * 2. An event older (by `sequencer`) than the newest handled for this key is ignored: it speaks
 *    of bytes since replaced, and the newer upload is decided by its own event.
 * 3. Size, then type and a full bounded decode (the inspector). A rejected file is deleted
 *    (unless a newer upload replaced it meanwhile), then the rejection recorded once; the slot
 *    stays open: it does not use up the one upload.
 * 4. Accepted: the bytes become write-once evidence with a thumbnail, the request records the
 *    letter and moves to review, and the waiting workflow task is completed.
 */
export async function processUpload(deps: ProcessingDeps, key: string, reported: UploadEvent = {}): Promise<UploadOutcome> {
  const [prefix, account, revocationId, slotId, ...rest] = key.split('/');
  const r = prefix === 'uploads' && rest.length === 0 && revocationId ? await deps.revocations.get(revocationId) : undefined;
  const letter = r?.letter;
  if (!r || !letter || r.account !== account || r.status !== 'pending_letter' || letter.status !== 'awaiting' || letter.slot?.id !== slotId) {
    await deps.letters.deleteUpload(key);
    return 'ignored';
  }
  // Nothing is deleted for a stale event: the object under the key may be the newer upload.
  if (reported.sequencer && !(await deps.revocations.recordUploadEvent(key, reported.sequencer))) return 'ignored';
  const head = await deps.letters.headUpload(key);
  if (!head) return 'ignored'; // already handled: a repeated event
  const upload = `${key}#${head.etag}`;
  if (letter.rejections.some((x) => x.upload === upload)) {
    await deleteUnlessReplaced(deps, key, head.etag);
    return 'ignored';
  }
  const size = checkLetterSize(head.bytes);
  const read = size.ok ? await deps.letters.readUpload(key, LETTER_MAX_BYTES + 1) : undefined;
  if (size.ok && !read) return 'ignored';
  const verdict = !size.ok
    ? { ok: false as const, code: size.code, detail: `The file has ${head.bytes} bytes; letters must be ${letter.minBytes} to ${letter.maxBytes} bytes.` }
    : await deps.inspector.inspect(read!.bytes, letter.allowedTypes);
  if (!verdict.ok) {
    // Deleted before the rejection shows: a customer who sees it and uploads again at once must
    // not have the new file deleted (or, on s3rver, its POST broken) by this one's clean-up.
    await deleteUnlessReplaced(deps, key, head.etag);
    await recordRejection(deps, r, slotId!, { code: verdict.code, at: deps.clock().toISOString(), detail: verdict.detail, upload });
    return 'rejected';
  }
  // Content-addressed evidence: rewriting the same bytes (a retried event) is a no-op.
  const { bytes, sha256 } = read!;
  const base = `evidence/${r.account}/${r.id}/${sha256}`;
  const evidenceKey = `${base}.${verdict.type}`;
  const thumbnailKey = `${base}.thumbnail.webp`;
  await deps.letters.putEvidence(evidenceKey, bytes, verdict.contentType);
  await deps.letters.putEvidence(thumbnailKey, await deps.inspector.thumbnail(bytes, verdict.type), 'image/webp');
  const accepted = await changeWhileAwaiting(deps, r, slotId!, (current, at) => {
    const { slot: _slot, ...kept } = current.letter!;
    const { taskToken: _token, ...request } = current;
    return [
      {
        ...request,
        status: 'pending_review',
        letter: { ...kept, status: 'accepted', sha256, type: verdict.type, contentType: verdict.contentType, bytes: verdict.bytes, acceptedAt: at, evidenceKey, thumbnailKey },
        updatedAt: at,
      },
      event(current, current.certificateId, 'letter.accepted', 'system', at, { sha256, type: verdict.type, bytes: verdict.bytes }),
    ];
  });
  await deps.letters.deleteUpload(key);
  if (!accepted) return 'ignored';
  await releaseLetterTask(deps, accepted.next, accepted.before.taskToken);
  return 'accepted';
}

/**
 * Deletes the judged upload, but not a newer one the customer sent to the same key while it was
 * being judged (a PDF may take seconds): that one is still to be decided, by its own event.
 * The look and the delete are two calls (s3rver knows no conditional delete), so a replacement
 * landing between them can still be lost; the window is one round trip, not a whole inspection.
 * A crash after the delete and before the rejection is recorded loses the rejection notice (a
 * redelivery finds nothing): the slot stays open, so the customer can still upload.
 */
async function deleteUnlessReplaced(deps: Pick<LetterDeps, 'letters'>, key: string, etag: string): Promise<void> {
  const now = await deps.letters.headUpload(key);
  if (now && now.etag === etag) await deps.letters.deleteUpload(key);
}

/**
 * Applies a change to a request still waiting for a letter on this slot, re-reading after a
 * lost race (a stored task token also bumps the version). Undefined when it moved on.
 */
async function changeWhileAwaiting(
  deps: LetterDeps,
  first: Revocation,
  slotId: string,
  change: (r: Revocation, at: string) => [Revocation, AuditEvent] | undefined,
): Promise<{ before: Revocation; next: Revocation } | undefined> {
  let r: Revocation | undefined = first;
  for (let attempt = 1; attempt <= 5; attempt++) {
    if (!r || r.status !== 'pending_letter' || r.letter?.status !== 'awaiting' || r.letter.slot?.id !== slotId) return undefined;
    const changed = change(r, deps.clock().toISOString());
    if (!changed) return undefined;
    const [next, audit] = changed;
    try {
      return { before: r, next: await deps.revocations.transition(next, r.version, [], [audit]) };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      r = await deps.revocations.get(first.id);
    }
  }
  throw new Error(`letter for revocation ${first.id}: too many concurrent changes`);
}

async function recordRejection(deps: LetterDeps, r: Revocation, slotId: string, rejection: LetterRejection): Promise<void> {
  await changeWhileAwaiting(deps, r, slotId, (current) =>
    // Re-checked on every attempt: a concurrent delivery of the same event may have recorded it.
    current.letter!.rejections.some((x) => x.upload === rejection.upload)
      ? undefined
      : [
          { ...current, letter: { ...current.letter!, rejections: [...current.letter!.rejections, rejection] }, updatedAt: rejection.at },
          event(current, current.certificateId, 'letter.rejected', 'system', rejection.at, { code: rejection.code }),
        ],
  );
}

/** Moves the workflow on to review; without a waiting task (not stored yet, or lost), resumes it. */
async function releaseLetterTask(deps: LetterDeps, r: Revocation, token: string | undefined): Promise<void> {
  try {
    if (!token) throw new TaskGoneError();
    await deps.workflows.completeTask(token, { letter: 'accepted' });
  } catch (error) {
    if (!(error instanceof TaskGoneError)) throw error;
    await startWorkflow(deps, r);
  }
}

/** Short-lived links to the accepted letter and its thumbnail, for the reviewer. */
export async function letterLinks(deps: { links: EvidenceLinks }, r: Revocation): Promise<{ letterUrl?: string; thumbnailUrl?: string }> {
  const l = r.letter;
  if (l?.status !== 'accepted' || !l.evidenceKey || !l.thumbnailKey || !l.contentType || !l.type) return {};
  const [letterUrl, thumbnailUrl] = await Promise.all([
    deps.links.presignEvidence(l.evidenceKey, { contentType: l.contentType, filename: `letter-${r.id}.${l.type}`, expiresSeconds: LETTER_URL_SECONDS }),
    deps.links.presignEvidence(l.thumbnailKey, { contentType: 'image/webp', filename: `thumbnail-${r.id}.webp`, expiresSeconds: LETTER_URL_SECONDS }),
  ]);
  return { letterUrl, thumbnailUrl };
}

/**
 * Processes uploads that no event reported (a lost notification, a runtime that was down):
 * anything under `uploads/` older than `graceSeconds` goes through the same decision.
 */
export async function reconcileUploads(deps: ProcessingDeps, graceSeconds = 300): Promise<Record<UploadOutcome, number>> {
  const counts: Record<UploadOutcome, number> = { accepted: 0, rejected: 0, ignored: 0 };
  const before = new Date(Date.now() - graceSeconds * 1000);
  for await (const key of deps.letters.listUploads(before)) counts[await processUpload(deps, key)]++;
  return counts;
}
