// Accessibility of every main view in a real browser: axe-core (WCAG 2.1 A/AA and best
// practices) finds nothing on any of them; at a phone's width (375 px) no view scrolls sideways
// and its main control can be reached; and one whole flow (sign in, create a table, add a row,
// filter it) works with the keyboard alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newUser, newPage, signIn, rest, axe, overflow, tabTo, CONSOLE_URL } from './harness.mjs';
import { document } from './fixtures.mjs';

let browser;
let owner;
let views;

before(async () => {
  browser = await launch();
  owner = await newUser('ada');
  const reader = await newUser('rita');
  const item = await document(owner.token, 'letter.txt', 'a letter to the council', { searchable: false });
  const { collection } = await rest('POST', '/v1/collections', owner.token, {
    display_name: 'Birds',
    json_schema: JSON.stringify({ type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' } }, 'x-cairn-queryable': ['name', 'count'] }),
  });
  await rest('POST', '/v1/items', owner.token, { kind: 'KIND_RECORD', collection: collection.name, data: { name: 'heron', count: 3 } });
  await rest('POST', '/v1/grants', owner.token, { grantee: `users/${reader.username}`, target: item, role: 'ROLE_READ', purpose: 'council reply' });
  const { conversation } = await rest('POST', '/v1/conversations', owner.token, {});
  const id = (name) => name.slice(name.lastIndexOf('/') + 1);
  // Each view with the control a person must be able to reach on it.
  views = [
    { hash: '#/vault', control: { role: 'button', name: 'Upload' } },
    { hash: `#/vault/items/${id(item)}`, control: { role: 'heading', name: 'letter.txt' } },
    { hash: '#/tables', control: { role: 'button', name: 'Create table' } },
    { hash: `#/tables/${id(collection.name)}`, control: { role: 'button', name: 'Add row' } },
    { hash: '#/sharing', control: { role: 'button', name: 'Give consent' } },
    { hash: '#/sharing/with-me', control: { role: 'link', name: 'Shared by me' } },
    { hash: '#/search', control: { role: 'button', name: 'Search' } },
    { hash: `#/chat/conversations/${id(conversation.name)}`, control: { role: 'button', name: 'Send' } },
    { hash: '#/audit', control: { role: 'button', name: 'Verify chain' } },
    { hash: '#/redeem', control: { role: 'button', name: 'Open' } },
  ];
});
after(async () => { await browser?.close(); });

async function open(page, hash) {
  await page.goto(`${CONSOLE_URL}/${hash}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
}

test('axe-core finds no accessibility violation on the sign-in page or any main view', async () => {
  const { page, context, guard } = await newPage(browser, { secrets: [owner.token] });
  await page.goto(`${CONSOLE_URL}/`);
  await page.getByLabel('API token').waitFor();
  const found = { 'sign-in': await axe(page) };
  await signIn(page, owner.token);
  for (const { hash } of views) {
    await open(page, hash);
    found[hash] = await axe(page);
  }
  const failing = Object.entries(found).filter(([, v]) => v.length);
  assert.deepEqual(failing, [], `axe violations:\n${failing.map(([view, v]) => `${view}:\n  ${v.join('\n  ')}`).join('\n')}`);
  guard.assertClean();
  await context.close();
});

test('at 375 px wide no view scrolls sideways and each main control can be reached', async () => {
  const { page, context, guard } = await newPage(browser, { secrets: [owner.token], viewport: { width: 375, height: 740 } });
  await signIn(page, owner.token);
  const problems = [];
  for (const { hash, control } of views) {
    await open(page, hash);
    const wide = await overflow(page);
    if (wide.length) problems.push(`${hash} scrolls sideways: ${wide.join(', ')}`);
    const target = page.getByRole(control.role, { name: control.name, exact: true }).first();
    await target.scrollIntoViewIfNeeded();
    const box = await target.boundingBox();
    if (!box || box.x < 0 || box.x + box.width > 375 || box.width === 0) problems.push(`${hash}: ${control.name} is out of reach (${JSON.stringify(box)})`);
  }
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Vault', 'Tables', 'Sharing', 'Search', 'Chat', 'Audit']) {
    const box = await nav.getByRole('link', { name, exact: true }).boundingBox();
    if (!box || box.x < 0 || box.x + box.width > 375) problems.push(`nav link ${name} is off screen`);
  }
  assert.deepEqual(problems, []);
  guard.assertClean();
  await context.close();
});

test('with the keyboard alone a person signs in, creates a table, adds a row and filters it', async () => {
  const user = await newUser('kim');
  const { page, context, guard } = await newPage(browser, { secrets: [user.token] });
  await page.goto(`${CONSOLE_URL}/#/tables`);
  await tabTo(page, 'API token');
  await page.keyboard.type(user.token);
  await page.keyboard.press('Enter');
  await page.getByTestId('signed-in-as').waitFor();

  await tabTo(page, 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'the skip link moves focus to the content');
  await tabTo(page, 'Name');
  await page.keyboard.type('Keyboard birds');
  await tabTo(page, 'Create table');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Keyboard birds' }).waitFor();

  await tabTo(page, 'Add row');
  await page.keyboard.press('Enter');
  await tabTo(page, /^name/);
  await page.keyboard.type('Wren');
  await tabTo(page, 'Save row');
  await page.keyboard.press('Enter');
  await page.getByRole('cell', { name: 'Wren', exact: true }).waitFor();

  await tabTo(page, 'Add condition');
  await page.keyboard.press('Enter');
  await tabTo(page, 'Value');
  await page.keyboard.type('Wren');
  await page.keyboard.press('Enter'); // submits the filter form
  await page.getByTestId('filter-text').waitFor();
  assert.equal(await page.getByTestId('filter-text').innerText(), 'data.name = "Wren"');
  await page.getByRole('cell', { name: 'Wren', exact: true }).waitFor();
  guard.assertClean();
  await context.close();
});
