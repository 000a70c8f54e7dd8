import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegLetter } from '../fixtures/letters.js';
import { startRuntimeProcess, type RuntimeProcess } from '../support/local-runtime.js';

/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core) against the
 * whole local runtime: a customer revokes a DNSPod SM2 OV certificate by uploading a sealed
 * letter from the page (a real presigned POST to s3rver), a reviewer approves it in the page,
 * and the customer sees the certificate revoked. The revoke wizard is driven by the keyboard
 * alone. Screenshots go to test/artifacts/ (git-ignored); the page logs no console error.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

let rt: RuntimeProcess;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  await mkdir(ARTIFACTS, { recursive: true });
  [rt, browser] = await Promise.all([
    // Validation checks every second, so the reissue's background check finds the record quickly.
    startRuntimeProcess(['--in-memory'], 60_000, { VALIDATION_POLL_SECONDS: '1' }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return page;
}

async function signInAs(page: Page, sub: string): Promise<void> {
  await page.goto(`${rt.url}/`);
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor();
  await page.getByRole('button', { name: new RegExp(`^${sub} — `) }).click();
}

/** The label of the focused element, or its text: what a screen reader would announce. */
async function focused(page: Page): Promise<string> {
  // A string, as it runs in the page (this file is type-checked without the DOM's types).
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el) return '';
    const label = el.id ? document.querySelector('label[for="' + el.id + '"]')?.textContent : undefined;
    return (label ?? el.textContent ?? '').trim();
  })()`);
}

describe('the web console', () => {
  it('lets a customer revoke a DNSPod SM2 OV certificate with a sealed letter, and a reviewer approve it', async () => {
    const customer = await newPage();
    await signInAs(customer, 'alice');
    await customer.getByRole('heading', { name: 'My certificates', exact: true }).waitFor();
    await customer.getByRole('link', { name: 'sm2-ov.example.com' }).click();
    await customer.getByRole('heading', { name: 'sm2-ov.example.com', exact: true }).waitFor();
    // The uploaded (third-party) certificate's disabled action explains itself; this one is revocable.
    await expect(customer.getByRole('button', { name: 'Revoke' }).isEnabled()).resolves.toBe(true);
    await customer.screenshot({ path: join(ARTIFACTS, '1-certificate.png'), fullPage: true });

    // The wizard, by keyboard only: Enter on the focused Revoke button, then Tab through the form.
    await customer.getByRole('button', { name: 'Revoke' }).focus();
    await customer.keyboard.press('Enter');
    await customer.getByRole('heading', { name: 'Revoke sm2-ov.example.com', exact: true }).waitFor();
    await expect(customer.getByText('Next you download a letter template').isVisible()).resolves.toBe(true);
    await customer.keyboard.press('Tab');
    expect(await focused(customer)).toMatch(/^Reason code/);
    await customer.keyboard.press('ArrowDown'); // keyCompromise
    await customer.keyboard.press('Tab');
    expect(await focused(customer)).toMatch(/^Reason \(required\)/);
    await customer.keyboard.type('The private key was on a laptop that was stolen.');
    await customer.keyboard.press('Tab');
    expect(await focused(customer)).toMatch(/^I understand/);
    await customer.keyboard.press('Space');
    await customer.keyboard.press('Tab');
    expect(await focused(customer)).toBe('Submit revocation');
    await customer.screenshot({ path: join(ARTIFACTS, '2-revoke-wizard.png'), fullPage: true });
    await customer.keyboard.press('Enter');

    await customer.getByRole('heading', { name: 'Revocation of sm2-ov.example.com', exact: true }).waitFor();
    const status = customer.getByTestId('revocation-status');
    await expect(status.textContent()).resolves.toBe('waiting for the letter');
    expect(await customer.getByText('The private key was on a laptop that was stolen.').count()).toBeGreaterThan(0);

    // The template downloads as a PDF.
    const [download] = await Promise.all([customer.waitForEvent('download'), customer.getByRole('button', { name: 'Download the letter template' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const template = await download.path();
    expect(template).toBeTruthy();

    // The page's own checks mirror the server's: a 10-byte file is refused before any upload.
    const fileInput = customer.getByLabel('Scanned letter');
    const dir = join(tmpdir(), `certrevoke-browser-${process.pid}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'tiny.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0, 0, 0, 0, 0, 0, 0]));
    await fileInput.setInputFiles(join(dir, 'tiny.jpg'));
    await customer.getByText('The letter file is smaller than 1 KiB.').waitFor();
    await expect(customer.getByRole('button', { name: 'Upload letter' }).isDisabled()).resolves.toBe(true);
    // A PNG is not an application letter type (JPG, GIF, PDF), whatever its name says.
    await writeFile(join(dir, 'scan.jpg'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048)]));
    await fileInput.setInputFiles(join(dir, 'scan.jpg'));
    await customer.getByText('The letter file type is not allowed for this request.').waitFor();

    // A real stamped-letter scan: uploaded from the browser straight to S3 (s3rver), then checked.
    await writeFile(join(dir, 'letter.jpg'), await jpegLetter(1200, 900));
    await fileInput.setInputFiles(join(dir, 'letter.jpg'));
    const upload = customer.getByRole('button', { name: 'Upload letter' });
    await expect.poll(() => upload.isEnabled()).toBe(true);
    await upload.click();
    await customer.getByText('waiting for a reviewer', { exact: true }).waitFor({ timeout: 30_000 });
    await customer.getByText('The letter was accepted.').waitFor();
    await customer.screenshot({ path: join(ARTIFACTS, '3-letter-accepted.png'), fullPage: true });
    await customer.getByRole('button', { name: 'Sign out' }).click();

    // The reviewer: the queue, oldest first with its age, the request with the letter, approve.
    const reviewer = await newPage();
    await signInAs(reviewer, 'rita');
    await reviewer.getByRole('heading', { name: 'Review queue', exact: true }).waitFor();
    const row = reviewer.getByRole('row', { name: /sm2-ov\.example\.com/ });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/acme.*alice.*\d+ (s|min)/);
    await reviewer.screenshot({ path: join(ARTIFACTS, '4-review-queue.png'), fullPage: true });
    await row.getByRole('link').click();
    await reviewer.getByRole('heading', { name: 'Revocation of sm2-ov.example.com', exact: true }).waitFor();
    await expect(reviewer.getByTestId('review-reason').textContent()).resolves.toBe('The private key was on a laptop that was stolen.');
    const thumbnail = reviewer.getByTestId('letter-thumbnail');
    await thumbnail.waitFor();
    await expect.poll(() => thumbnail.evaluate((img) => {
      const image = img as unknown as { complete: boolean; naturalWidth: number };
      return image.complete && image.naturalWidth > 0;
    })).toBe(true);
    expect(await reviewer.getByRole('link', { name: 'Open the full letter' }).getAttribute('href')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/certrevoke-evidence\//);
    // Rejecting needs a note: the page says so and sends nothing.
    await reviewer.getByRole('button', { name: 'Reject' }).click();
    await reviewer.getByText('Write a note for the customer to reject the request.').waitFor();
    await reviewer.screenshot({ path: join(ARTIFACTS, '5-review.png'), fullPage: true });
    await reviewer.getByRole('button', { name: 'Approve' }).click();
    await reviewer.getByRole('heading', { name: 'Review queue', exact: true }).waitFor();
    await reviewer.getByText('Nothing is waiting for a review.').waitFor();

    // The customer sees it revoked, on the certificate and in its timeline; download is refused with its reason.
    const after = await newPage();
    await signInAs(after, 'alice');
    await after.getByRole('link', { name: 'sm2-ov.example.com' }).waitFor();
    await expect
      .poll(async () => {
        await after.reload();
        return after.getByRole('row', { name: /sm2-ov\.example\.com/ }).textContent();
      }, { timeout: 20_000 })
      .toMatch(/revoked/);
    await after.getByRole('link', { name: 'sm2-ov.example.com' }).click();
    await after.getByText('Revoked at the CA').waitFor();
    await expect(after.getByRole('button', { name: 'Download' }).isDisabled()).resolves.toBe(true);
    await after.getByText('This certificate cannot be downloaded.').waitFor();
    await after.screenshot({ path: join(ARTIFACTS, '6-revoked.png'), fullPage: true });

    expect(consoleErrors).toEqual([]);
  });

  it('shows a customer only their own account and explains each action it does not allow', async () => {
    const page = await newPage();
    await signInAs(page, 'alice');
    await page.getByRole('link', { name: 'legacy.example.com' }).click();
    await page.getByRole('heading', { name: 'legacy.example.com', exact: true }).waitFor();
    const revoke = page.getByRole('button', { name: 'Revoke' });
    await expect(revoke.isDisabled()).resolves.toBe(true);
    // The reason is the button's description, so a screen reader reads it with the button.
    const describedBy = await revoke.getAttribute('aria-describedby');
    await expect(page.locator(`#${describedBy}`).textContent()).resolves.toMatch(/not issued through this platform/);
    await page.goto(`${rt.url}/#/certificates`);
    await page.getByRole('heading', { name: 'My certificates', exact: true }).waitFor();
    await page.getByRole('link', { name: 'sm2-ov.example.com' }).waitFor();
    expect(await page.getByRole('link', { name: 'globex.example.com' }).count()).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  it('walks a domain-validation revocation: the record to publish with copy buttons and a countdown, then "Check now"', async () => {
    const page = await newPage();
    await signInAs(page, 'alice');
    await page.getByRole('link', { name: 'shop.example.org' }).click();
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('heading', { name: 'Revoke shop.example.org', exact: true }).waitFor();
    await expect(page.getByText('Reason (optional)').count()).resolves.toBe(1);
    await page.getByLabel('I understand that this revocation cannot be cancelled.').check();
    await page.getByRole('button', { name: 'Submit revocation' }).click();
    await page.getByRole('heading', { name: 'Prove control of the domain', exact: true }).waitFor();
    await expect(page.getByText(/\d+ d \d+ h left/).count()).resolves.toBe(1);
    const values = await page.locator('code.value').allTextContents();
    expect(values[0]).toBe('_dnsauth.shop.example.org');
    expect(values[3]).toBe('http://shop.example.org/.well-known/pki-validation/fileauth.txt');
    await page.getByRole('button', { name: 'Copy' }).nth(2).click();
    await page.getByRole('status').filter({ hasText: /Value copied|Copying is not available/ }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '7-domain-validation.png'), fullPage: true });
    // The customer publishes the record at their DNS provider (locally: the runtime's DNS zone).
    const published = await fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: values[0], value: values[2] }) });
    expect(published.status).toBe(204);
    await page.getByRole('button', { name: 'Check now' }).click();
    await page.getByText('The certificate is revoked: the CA has published it on its revocation list.').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('revocation-status').textContent()).resolves.toBe('revoked');
    expect(consoleErrors).toEqual([]);
  });

  it('reissues with a key generated here and offers the private key for download exactly once', async () => {
    const page = await newPage();
    await signInAs(page, 'alice');
    await page.getByRole('link', { name: 'portal.example.co.uk' }).click();
    await page.getByRole('button', { name: 'Reissue' }).click();
    await page.getByRole('heading', { name: 'Reissue portal.example.co.uk', exact: true }).waitFor();
    await page.getByLabel('Generate a new key here (you download it once)').check();
    await page.getByLabel('Algorithm').selectOption('ECC');
    await expect(page.getByLabel('Key size').locator('option').allTextContents()).resolves.toEqual(['P-256', 'P-384']);
    await page.getByLabel('Reason (required, at most 500 characters)').fill('Moving to ECC keys.');
    await expect(page.getByLabel('Organisation name').inputValue()).resolves.toBe('Acme Trading Co., Ltd.');
    await page.getByRole('button', { name: 'Submit reissue' }).click();
    await page.getByRole('heading', { name: 'Reissue for portal.example.co.uk', exact: true }).waitFor();
    // A new key means validating the domain again; the record is published and the workflow's own check finds it.
    await page.getByRole('heading', { name: 'Prove control of the domain', exact: true }).waitFor();
    const values = await page.locator('code.value').allTextContents();
    await fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: values[0], value: values[2] }) });
    await page.getByText('Issued.').waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the private key' }).click()]);
    expect(download.suggestedFilename()).toBe('portal.example.co.uk.key.pem');
    expect(readFileSync((await download.path())!, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // Offered once: the page says it is gone, and after a reload no download is offered (the API answers 410 now: test/e2e).
    await page.getByText('The private key was downloaded and is no longer kept here.').waitFor();
    await expect(page.getByRole('button', { name: 'Download the private key' }).count()).resolves.toBe(0);
    await page.reload();
    await page.getByText('Issued.').waitFor();
    await expect(page.getByRole('button', { name: 'Download the private key' }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Open the new certificate' }).click();
    await page.getByRole('heading', { name: 'portal.example.co.uk', exact: true }).waitFor();
    await expect(page.getByText('Reissued from', { exact: true }).count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, '8-reissued.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
