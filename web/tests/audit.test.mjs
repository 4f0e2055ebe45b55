// Audit view: the owner sees who read their data (another user, under the grant that allowed
// it), and Verify chain shows the chain's real head — the hash of the newest event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newUser, rest, screenshot, signIn } from './harness.mjs';
import { document } from './fixtures.mjs';

let browser;
let owner;
let reader;
let item;
let grant;

before(async () => {
  owner = await newUser('owner');
  reader = await newUser('reader');
  item = await document(owner.token, 'Tax return 2025', 'Income, deductions and the refund.', { searchable: false });
  ({ grant: { name: grant } } = await rest('POST', '/v1/grants', owner.token, {
    grantee: `users/${reader.username}`,
    target: item,
    role: 'ROLE_READ',
    purpose: 'mortgage application',
  }));
  await rest('GET', `/v1/${item}`, reader.token); // the read the owner must be able to see
  browser = await launch();
});

after(async () => browser?.close());

const hex = (base64) => Buffer.from(base64, 'base64').toString('hex');

test('the owner sees the other user\'s read of their item, under the grant that allowed it', async () => {
  const { page, guard, context } = await newPage(browser, { secrets: [owner.token, reader.token, 'Income, deductions'] });
  await signIn(page, owner.token, '#/audit');

  // "Reads of my data" is the view's first filter: the owner's own writes are not in it.
  const read = page.locator('.event').filter({ hasText: reader.username });
  await read.waitFor();
  assert.equal(await page.locator('.event').count(), 1, 'one read of the owner\'s data so far');
  assert.equal((await read.locator('.action').textContent()).trim(), 'read');
  assert.equal((await read.locator('.target').textContent()).trim(), item);
  assert.match(await read.textContent(), new RegExp(`under ${grant}`));
  await read.getByText('(Tax return 2025)').waitFor(); // the item by its name, from the owner's own listing
  assert.match(await read.textContent(), /“mortgage application”/, 'the grant by its purpose');

  await page.getByLabel('Show').selectOption('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('.event').filter({ hasText: 'shared (grant)' }).waitFor();
  assert.ok((await page.locator('.event').count()) >= 3, 'all actions: create, grant and the read');
  guard.assertClean();
  await context.close();
});

test('Verify chain reports the chain intact and shows its head: the newest event\'s seq and hash', async () => {
  const { page, guard, context } = await newPage(browser, { secrets: [owner.token] });
  await signIn(page, owner.token, '#/audit');
  await page.getByRole('button', { name: 'Verify chain' }).click();

  const result = page.getByRole('status').filter({ hasText: 'Chain verified' });
  await result.waitFor();
  const { audit_events: [newest] } = await rest('GET', '/v1/users/me/auditEvents?page_size=1', owner.token);
  assert.equal(await result.locator('.head-seq').textContent(), String(newest.seq));
  assert.equal(await result.locator('.hash').first().textContent(), hex(newest.hash));
  assert.equal(await result.getAttribute('data-verified'), 'true');
  await screenshot(page, 'audit');
  guard.assertClean();
  await context.close();
});
