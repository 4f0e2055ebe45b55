// The Vault view in a real browser through the gateway: sign-in, upload and download, label
// filters, versions with restore, delete and undelete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, newUser, newPage, signIn, screenshot } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const rowOf = (page, name) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

async function uploadFile(page, name, text, labels = '') {
  await page.getByLabel(/^Files/).setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.getByLabel('Labels', { exact: true }).first().fill(labels);
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await rowOf(page, name).waitFor();
}

async function downloadText(page, trigger) {
  const [download] = await Promise.all([page.waitForEvent('download'), trigger()]);
  return readFile(await download.path(), 'utf8');
}

test('a wrong token is refused on the sign-in screen and not kept', async () => {
  const { page, context, guard } = await newPage(browser, { secrets: ['cairn_pat_nope_nope'] });
  await page.goto(`${process.env.CONSOLE_URL}/`);
  await page.getByLabel('API token').fill('cairn_pat_nope_nope');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Sign in again' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  guard.assertClean();
  await context.close();
});

test('an uploaded document downloads with the same bytes, and its token stays out of URLs and logs', async () => {
  const alice = await newUser('alice');
  const content = `tax letter ${crypto.randomUUID()}\nsecond line`;
  const { page, context, guard } = await newPage(browser, { secrets: [alice.token, content] });
  await signIn(page, alice.token);
  await uploadFile(page, 'letter.txt', content, 'topic=tax, year=2024');
  const row = rowOf(page, 'letter.txt');
  assert.match(await row.innerText(), /topic=tax/);
  await screenshot(page, 'vault');
  assert.equal(await downloadText(page, () => row.getByRole('button', { name: 'Download letter.txt' }).click()), content);
  guard.assertClean();
  await context.close();
});

test('label and media type filters show only the documents that match', async () => {
  const bob = await newUser('bob');
  const { page, context, guard } = await newPage(browser, { secrets: [bob.token] });
  await signIn(page, bob.token);
  await uploadFile(page, 'tax.txt', 'tax', 'topic=tax');
  await uploadFile(page, 'recipe.txt', 'soup', 'topic=food');
  await page.getByLabel('Labels', { exact: true }).nth(1).fill('topic=tax');
  await page.getByRole('button', { name: 'Filter' }).click();
  await rowOf(page, 'recipe.txt').waitFor({ state: 'detached' });
  assert.equal(await rowOf(page, 'tax.txt').count(), 1);

  await page.getByLabel('Labels', { exact: true }).nth(1).fill('');
  await page.getByLabel('Media type').fill('image/*');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No documents.').waitFor();
  guard.assertClean();
  await context.close();
});

test('an old version is restored as a new current version with its content', async () => {
  const carol = await newUser('carol');
  const { page, context, guard } = await newPage(browser, { secrets: [carol.token] });
  await signIn(page, carol.token);
  await uploadFile(page, 'notes.txt', 'first draft');
  await rowOf(page, 'notes.txt').getByRole('link').click();
  await page.getByRole('heading', { name: 'notes.txt' }).waitFor();
  await page.getByLabel('Upload a new version').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('second draft') });
  await page.getByRole('button', { name: 'Upload version' }).click();
  await page.getByRole('button', { name: 'Restore version 1' }).waitFor();
  await page.getByRole('button', { name: 'Restore version 1' }).click();
  await page.getByRole('row').filter({ hasText: 'current' }).filter({ hasText: /^3/ }).waitFor();
  await screenshot(page, 'vault-item');
  assert.equal(await downloadText(page, () => page.getByRole('button', { name: 'Download', exact: true }).click()), 'first draft');
  assert.equal(await downloadText(page, () => page.getByRole('button', { name: 'Download version 2' }).click()), 'second draft');
  guard.assertClean();
  await context.close();
});

test('a deleted document leaves the list and comes back with undelete', async () => {
  const dan = await newUser('dan');
  const { page, context, guard } = await newPage(browser, { secrets: [dan.token] });
  await signIn(page, dan.token);
  await uploadFile(page, 'old.txt', 'old');
  await rowOf(page, 'old.txt').getByRole('button', { name: 'Delete old.txt' }).click();
  await rowOf(page, 'old.txt').waitFor({ state: 'detached' });
  await page.getByLabel('Show deleted').check();
  await rowOf(page, 'old.txt').getByRole('button', { name: 'Undelete' }).click();
  await page.getByLabel('Show deleted').uncheck();
  await rowOf(page, 'old.txt').getByRole('button', { name: 'Download old.txt' }).waitFor();
  guard.assertClean();
  await context.close();
});

test('the vault is usable at 375px width', async () => {
  const erin = await newUser('erin');
  const { page, context, guard } = await newPage(browser, { secrets: [erin.token], viewport: { width: 375, height: 740 } });
  await signIn(page, erin.token);
  await uploadFile(page, 'phone.txt', 'small screen');
  const { overflow, wide } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // what sticks out of the page, not out of a scrolling box (wide tables scroll in theirs)
    const scrolls = (e) => e.closest('.table-wrap') !== null;
    const wide = [...document.querySelectorAll('body *')].filter((e) => !scrolls(e) && e.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`);
    return { overflow: document.documentElement.scrollWidth - width, wide };
  });
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px: ${wide.join(', ')}`);
  await screenshot(page, 'vault-375');
  guard.assertClean();
  await context.close();
});
