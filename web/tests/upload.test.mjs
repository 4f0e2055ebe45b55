// Resumable uploads in a real browser through the gateway: a multi-chunk file goes up in
// appends with real progress (the server's committed offset) and downloads back byte-identical;
// a reload in the middle is offered for continuing, and choosing the same file again sends only
// what the server had not committed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { launch, newUser, newPage, signIn } from './harness.mjs';

const CHUNK = 512 * 1024; // web/src/lib/vault.ts CHUNK_BYTES
const APPEND = '**/cairn.vault.v1.VaultService/AppendUpload';
let browser;
let dir;
before(async () => {
  browser = await launch();
  dir = await mkdtemp(join(tmpdir(), 'cairn-upload-'));
});
after(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

const rowOf = (page, name) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

/** A file on disk (its name, size and modification time are the identity a resume matches). */
async function fileOf(name, size) {
  const path = join(dir, name);
  const content = randomBytes(size);
  await writeFile(path, content);
  return { path, content };
}

async function downloadBytes(page, name) {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    rowOf(page, name).getByRole('button', { name: `Download ${name}` }).click(),
  ]);
  return readFile(await download.path());
}

test('a multi-chunk file uploads with progress and downloads back byte-identical', async () => {
  const alice = await newUser('alice');
  const { path, content } = await fileOf('big.bin', 3 * CHUNK + 1234);
  const { page, context, guard } = await newPage(browser, { secrets: [alice.token] });
  await signIn(page, alice.token);
  const shown = [];
  await page.route(APPEND, async (route) => {
    // the progress bar as each append leaves: what the server had committed before it
    shown.push(Number(await page.getByLabel('Uploading big.bin').getAttribute('value')));
    await route.continue();
  });
  await page.getByLabel(/^Files/).setInputFiles(path);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await rowOf(page, 'big.bin').waitFor();
  assert.deepEqual(shown, [0, CHUNK, 2 * CHUNK, 3 * CHUNK]);
  await page.getByLabel('Uploaded big.bin').waitFor();
  assert.ok((await downloadBytes(page, 'big.bin')).equals(content), 'downloaded bytes equal the file');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cairn.pendingUploads')), null, 'nothing left to resume');
  guard.assertClean();
  await context.close();
});

test('an upload interrupted by a reload continues from the committed offset with the same file', async () => {
  const bob = await newUser('bob');
  const { path, content } = await fileOf('resume.bin', 4 * CHUNK + 99);
  const { page, context, guard } = await newPage(browser, { secrets: [bob.token] });
  await signIn(page, bob.token);

  // One handler for the whole test: unrouting while the third append is held would let
  // Playwright send it on, racing the reload (CI saw the server commit it).
  let appends = 0;
  let resuming = false;
  let resumedAppends = 0;
  let stalled;
  const stall = new Promise((resolve) => { stalled = resolve; });
  await page.route(APPEND, async (route) => {
    if (resuming) {
      resumedAppends++;
      await route.continue();
      return;
    }
    if (++appends === 3) { // hold the third append and reload the page under it
      stalled();
      return; // never answered: the reload cancels it in the browser, so no error is logged
    }
    await route.continue();
  });
  await page.getByLabel(/^Files/).setInputFiles(path);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await stall;
  const stored = await page.evaluate(() => sessionStorage.getItem('cairn.pendingUploads'));
  assert.match(stored, /"upload":"uploads\//);
  assert.doesNotMatch(stored, /cairn_/, 'no token in what is kept for resuming');
  await page.reload();
  await page.getByTestId('signed-in-as').waitFor();
  await page.getByRole('status').filter({ hasText: 'The upload of resume.bin' }).waitFor();

  resuming = true;
  await page.getByLabel(/^Files/).setInputFiles(path);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await rowOf(page, 'resume.bin').waitFor();
  assert.equal(resumedAppends, 3, 'only the chunks after the two committed ones were sent');
  assert.equal(await page.getByRole('status').filter({ hasText: 'The upload of resume.bin' }).count(), 0);
  assert.equal(await rowOf(page, 'resume.bin').count(), 1, 'one item, not two');
  assert.ok((await downloadBytes(page, 'resume.bin')).equals(content), 'downloaded bytes equal the file');
  guard.assertClean();
  await context.close();
});
