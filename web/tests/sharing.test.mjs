// The Sharing view in real browsers through the gateway: a grant seen by the grantee in a second
// browser context and gone after one-click revoke; an access link's copy-once token; a consent
// with its receipt shown and downloaded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, newUser, newPage, signIn, screenshot, rest, secret, CONSOLE_URL } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function document(owner, name, text) {
  const { name: item } = await rest('POST', '/v1/items', owner.token, {
    kind: 'KIND_DOCUMENT', display_name: name, media_type: 'text/plain', content: Buffer.from(text).toString('base64'),
  });
  return item;
}

test('a document shared with a user appears for them, and vanishes for them when revoked', async () => {
  const owner = await newUser('olga');
  const friend = await newUser('finn');
  await document(owner, 'budget.txt', 'the budget');
  const a = await newPage(browser, { secrets: [owner.token, friend.token, 'the budget'] });
  const b = await newPage(browser, { secrets: [owner.token, friend.token, 'the budget'] });
  await signIn(a.page, owner.token, '#/sharing');
  await a.page.getByLabel('What', { exact: true }).selectOption({ label: 'budget.txt' });
  await a.page.getByLabel('With (username)').fill(friend.username);
  await a.page.getByLabel('Role', { exact: true }).first().selectOption({ label: 'Read' });
  await a.page.getByLabel('Purpose', { exact: true }).first().fill('family budget review');
  await a.page.getByRole('button', { name: 'Share', exact: true }).click();
  const grantRow = a.page.getByRole('row').filter({ hasText: 'family budget review' });
  await grantRow.waitFor();
  await screenshot(a.page, 'sharing');

  await signIn(b.page, friend.token, '#/vault');
  await b.page.getByLabel('Shared with me').check();
  const shared = b.page.getByRole('link', { name: 'budget.txt', exact: true });
  await shared.waitFor();
  await b.page.goto(`${CONSOLE_URL}/#/sharing/with-me`);
  await b.page.getByRole('cell', { name: 'family budget review' }).waitFor();

  await grantRow.getByRole('button', { name: /^Revoke/ }).click();
  await grantRow.waitFor({ state: 'detached' });
  await b.page.goto(`${CONSOLE_URL}/#/vault`);
  await b.page.getByLabel('Shared with me').check();
  await b.page.getByText('No documents.').waitFor();
  assert.equal(await shared.count(), 0);
  a.guard.assertClean();
  b.guard.assertClean();
  await a.context.close();
  await b.context.close();
});

test("an access link's token is shown once to copy, never in a URL, and the link is revoked in one click", async () => {
  const owner = await newUser('lena');
  await document(owner, 'ticket.pdf', 'ticket');
  const { page, context, guard } = await newPage(browser, { secrets: [owner.token] });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: CONSOLE_URL });
  await signIn(page, owner.token, '#/sharing');
  await page.getByLabel('Document', { exact: true }).selectOption({ label: 'ticket.pdf' });
  await page.getByLabel('Uses (0: unlimited)').fill('3');
  await page.getByRole('button', { name: 'Create link' }).click();
  const tokenBox = page.getByLabel('Access link token');
  await tokenBox.waitFor();
  const token = await tokenBox.inputValue();
  assert.match(token, /^cairn_lnk_[0-9a-f]{32}_[0-9a-f]{64}$/);
  guard.watch(token);
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  const linkRow = page.getByRole('row').filter({ hasText: '0 / 3' });
  await linkRow.waitFor();
  await screenshot(page, 'sharing-link');
  await page.getByRole('button', { name: 'Done' }).click();
  assert.equal(await tokenBox.count(), 0);

  const redeem = () => fetch(`${CONSOLE_URL}/v1/accessLinks:redeem`, {
    method: 'POST', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ token }),
  });
  assert.equal((await redeem()).status, 200, 'the live link redeems');
  await linkRow.getByRole('button', { name: /^Revoke link/ }).click();
  await linkRow.waitFor({ state: 'detached' });
  assert.equal((await redeem()).status, 404, 'the revoked link no longer redeems');
  guard.assertClean();
  await context.close();
});

test('a consent shows its receipt, which downloads as the signed document, and revoking it ends the grant', async () => {
  const owner = await newUser('mia');
  const recipient = await newUser('doc');
  await document(owner, 'scan.txt', 'x-ray notes');
  const { page, context, guard } = await newPage(browser, { secrets: [owner.token, recipient.token, 'x-ray notes'] });
  await signIn(page, owner.token, '#/sharing');
  await page.getByLabel('Recipient (username)').fill(recipient.username);
  await page.getByLabel('Purpose', { exact: true }).nth(1).fill('second opinion');
  await page.getByLabel('Documents (select one or more)').selectOption({ label: 'scan.txt' });
  await page.getByLabel('I agree to the text above').check();
  await page.getByRole('button', { name: 'Give consent' }).click();
  const receipt = page.getByTestId('receipt');
  await receipt.waitFor();
  const shown = await receipt.innerText();
  assert.match(shown, /second opinion/);
  assert.match(shown, new RegExp(recipient.name.replace('/', '\\/')));
  await screenshot(page, 'sharing-consent');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download receipt' }).click()]);
  const saved = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.ok(saved.signature && saved.keyId, 'the receipt carries its signature and key id');
  assert.deepEqual(JSON.parse(Buffer.from(saved.signedBytesBase64, 'base64').toString('utf8')), saved.receipt);

  const consentRow = page.getByRole('row').filter({ hasText: 'second opinion' }).filter({ has: page.getByRole('button', { name: /^Revoke consent/ }) });
  await consentRow.getByRole('button', { name: /^Revoke consent/ }).click();
  await consentRow.waitFor({ state: 'detached' });
  const { grants } = await rest('GET', '/v1/grants?direction=DIRECTION_GRANTED_TO_ME', recipient.token);
  assert.equal(grants.length, 0, 'revoking the consent revoked its grant');
  guard.assertClean();
  await context.close();
});

test('a link opens for a recipient without an account: the token leaves the address bar, the document downloads once, and a used-up link says so', async () => {
  const owner = await newUser('nora');
  await document(owner, 'poem.txt', 'roses are red, herons are grey');
  const a = await newPage(browser, { secrets: [owner.token, 'roses are red'] });
  await a.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: CONSOLE_URL });
  await signIn(a.page, owner.token, '#/sharing');
  await a.page.getByLabel('Document', { exact: true }).selectOption({ label: 'poem.txt' });
  await a.page.getByLabel('Uses (0: unlimited)').fill('1');
  await a.page.getByRole('button', { name: 'Create link' }).click();
  const address = await a.page.getByLabel('Access link address').inputValue();
  const token = secret(address.slice(address.lastIndexOf('/') + 1));
  assert.match(token, /^cairn_lnk_/);
  assert.equal(address, `${CONSOLE_URL}/#/redeem/${token}`);
  await a.page.getByRole('button', { name: 'Copy link' }).click();
  assert.equal(await a.page.evaluate(() => navigator.clipboard.readText()), address);

  // The recipient: a fresh browser, nobody signed in. The token is only ever in the fragment.
  const b = await newPage(browser, { secrets: [owner.token, 'roses are red'] });
  const sent = [];
  b.page.on('request', (req) => sent.push(req.url()));
  await b.page.goto(address);
  await b.page.getByRole('heading', { name: 'Someone shared a document with you' }).waitFor();
  assert.equal(b.page.url(), `${CONSOLE_URL}/#/redeem`, 'the token is gone from the address bar');
  await b.page.getByRole('button', { name: 'Open' }).click();
  await b.page.getByRole('heading', { name: 'poem.txt' }).waitFor();
  assert.equal(await b.page.getByLabel('Preview').innerText(), 'roses are red, herons are grey');
  await b.page.getByText('That was the link’s last use').waitFor();
  const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(await readFile(await download.path(), 'utf8'), 'roses are red, herons are grey');
  assert.ok(sent.every((url) => !url.includes(token)), 'no request carried the token in its URL');
  await screenshot(b.page, 'redeem');

  // Used up: a second opening says the link no longer works, and why it may be.
  const c = await newPage(browser, { secrets: [owner.token, 'roses are red'] });
  await c.page.goto(address);
  await c.page.getByRole('button', { name: 'Open' }).click();
  await c.page.getByRole('alert').getByText(/no longer opens anything: it has expired, been used up or been revoked/).waitFor();
  // A paste that is not a link is refused in the page, before any call.
  await c.page.goto(`${CONSOLE_URL}/#/redeem`);
  await c.page.getByLabel('Link or token').fill('https://example.com/not-a-link');
  assert.equal(await c.page.getByRole('button', { name: 'Open' }).isDisabled(), true);
  await c.page.getByLabel('Link or token').fill(`see ${address}`);
  await c.page.getByRole('button', { name: 'Open' }).click();
  await c.page.getByRole('alert').getByText(/used up/).waitFor();
  for (const p of [a, b, c]) {
    p.guard.assertClean();
    await p.context.close();
  }
});
