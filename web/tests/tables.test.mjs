// The Tables view in a real browser through the gateway: a collection with a JSON Schema shown
// as a table, rows added and edited, schema errors on their field, UI filters sent as AIP-160,
// sort and paging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newUser, newPage, signIn, screenshot, rest } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SCHEMA = JSON.stringify({
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, city: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
  'x-cairn-queryable': ['name', 'city', 'age'],
});

async function createTable(page, name) {
  await page.goto(`${process.env.CONSOLE_URL}/#/tables`);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel(/^Columns/).fill(SCHEMA);
  await page.getByRole('button', { name: 'Create table' }).click();
  await page.getByRole('heading', { name }).waitFor();
}

async function addRow(page, row) {
  await page.getByRole('button', { name: 'Add row' }).click();
  for (const [k, v] of Object.entries(row)) await page.getByLabel(new RegExp(`^${k}`)).fill(String(v));
  await page.getByRole('button', { name: 'Save row' }).click();
}

const bodyRows = (page) => page.locator('tbody tr');
const names = async (page) => (await bodyRows(page).locator('td:first-child').allInnerTexts());

test('rows are checked against the schema, and a violation is shown on its field', async () => {
  const ann = await newUser('ann');
  const { page, context, guard } = await newPage(browser, { secrets: [ann.token] });
  await signIn(page, ann.token);
  await createTable(page, 'Contacts');
  await addRow(page, { name: 'Ada', city: 'Oslo', age: -4 });
  const error = page.locator('#rec-age-error');
  await error.waitFor();
  assert.match(await error.innerText(), /minimum/);
  assert.equal(await page.getByLabel(/^age/).getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'tables-validation');
  await page.getByLabel(/^age/).fill('36');
  await page.getByRole('button', { name: 'Save row' }).click();
  await page.getByRole('cell', { name: 'Ada', exact: true }).waitFor();
  assert.equal(await page.locator('#rec-age-error').count(), 0);
  guard.assertClean();
  await context.close();
});

test('conditions built in the UI filter the rows, and a column header sorts them', async () => {
  const ben = await newUser('ben');
  const { page, context, guard } = await newPage(browser, { secrets: [ben.token] });
  await signIn(page, ben.token);
  await createTable(page, 'People');
  for (const row of [{ name: 'Ada', city: 'Oslo', age: 36 }, { name: 'Bo', city: 'Bergen', age: 17 }, { name: 'Cy', city: 'Oslo', age: 51 }]) {
    await addRow(page, row);
    await page.getByRole('cell', { name: row.name, exact: true }).waitFor();
  }
  await page.getByRole('button', { name: 'Add condition' }).click();
  await page.getByLabel('Column', { exact: true }).selectOption('city');
  await page.getByLabel('Value', { exact: true }).fill('Oslo');
  await page.getByRole('button', { name: 'Add condition' }).click();
  await page.getByLabel('Column', { exact: true }).nth(1).selectOption('age');
  await page.getByLabel('Condition', { exact: true }).nth(1).selectOption('>=');
  await page.getByLabel('Value', { exact: true }).nth(1).fill('40');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await page.getByTestId('filter-text').waitFor();
  assert.equal(await page.getByTestId('filter-text').innerText(), 'data.city = "Oslo" AND data.age >= 40');
  await page.getByRole('cell', { name: 'Ada', exact: true }).waitFor({ state: 'detached' });
  assert.deepEqual(await names(page), ['Cy']);

  await page.getByRole('button', { name: 'Remove condition 2' }).click();
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await page.getByRole('cell', { name: 'Ada', exact: true }).waitFor();
  await page.getByRole('button', { name: /^age/ }).click();
  await page.locator('th[aria-sort="ascending"]').waitFor();
  await page.waitForFunction(() => document.querySelector('tbody tr td')?.textContent === 'Ada');
  assert.deepEqual(await names(page), ['Ada', 'Cy']);
  await page.getByRole('button', { name: /^age/ }).click();
  await page.locator('th[aria-sort="descending"]').waitFor();
  await page.waitForFunction(() => document.querySelector('tbody tr td')?.textContent === 'Cy');
  assert.deepEqual(await names(page), ['Cy', 'Ada']);
  await screenshot(page, 'tables');
  guard.assertClean();
  await context.close();
});

test('an edited row keeps its other values, and pages of 20 rows move forward and back', async () => {
  const cat = await newUser('cat');
  const { page, context, guard } = await newPage(browser, { secrets: [cat.token] });
  await signIn(page, cat.token);
  await createTable(page, 'Numbers');
  const url = page.url();
  // 21 rows through the API (the harness's REST path), so the test is about paging, not typing
  const collection = `collections/${url.slice(url.lastIndexOf('/') + 1)}`;
  const { rest } = await import('./harness.mjs');
  for (let i = 1; i <= 21; i++) {
    await rest('POST', '/v1/items', cat.token, { kind: 'KIND_RECORD', collection, data: { name: `n${String(i).padStart(2, '0')}`, age: i } });
  }
  await page.reload();
  await page.getByRole('button', { name: /^name/ }).click();
  await page.waitForFunction(() => document.querySelector('tbody tr td')?.textContent === 'n01');
  assert.equal(await bodyRows(page).count(), 20);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForFunction(() => document.querySelector('tbody tr td')?.textContent === 'n21');
  assert.equal(await bodyRows(page).count(), 1);
  assert.equal(await page.getByRole('button', { name: 'Next' }).isDisabled(), true);
  await page.getByRole('button', { name: /^Edit row/ }).click();
  await page.getByLabel(/^city/).fill('Tromsø');
  await page.getByRole('button', { name: 'Save row' }).click();
  await page.getByRole('cell', { name: 'Tromsø' }).waitFor();
  assert.match(await bodyRows(page).first().innerText(), /n21\s+Tromsø\s+21/);
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.waitForFunction(() => document.querySelector('tbody tr td')?.textContent === 'n01');
  guard.assertClean();
  await context.close();
});

test('OR groups filter the rows as (a OR b) AND c, and a filter the server refuses shows its reason', async () => {
  const dan = await newUser('dan');
  const { page, context, guard } = await newPage(browser, { secrets: [dan.token] });
  await signIn(page, dan.token);
  await createTable(page, 'Towns');
  const url = page.url();
  const collection = `collections/${url.slice(url.lastIndexOf('/') + 1)}`;
  for (const data of [{ name: 'Ada', city: 'Oslo', age: 36 }, { name: 'Bo', city: 'Bergen', age: 17 }, { name: 'Cy', city: 'Oslo', age: 51 }, { name: 'Di', city: 'Bergen', age: 44 }, { name: 'Ed', city: 'Tromsø', age: 60 }]) {
    await rest('POST', '/v1/items', dan.token, { kind: 'KIND_RECORD', collection, data });
  }
  await page.reload();
  await page.getByRole('cell', { name: 'Ed', exact: true }).waitFor();

  const condition = async (i, join, field, op, value) => {
    await page.getByRole('button', { name: 'Add condition' }).click();
    if (join) await page.getByLabel('Joined by').nth(i - 1).selectOption(join);
    await page.getByLabel('Column', { exact: true }).nth(i).selectOption(field);
    await page.getByLabel('Condition', { exact: true }).nth(i).selectOption(op);
    await page.getByLabel('Value', { exact: true }).nth(i).fill(value);
  };
  await condition(0, undefined, 'city', '=', 'Oslo');
  await condition(1, 'OR', 'city', '=', 'Bergen');
  await condition(2, 'AND', 'age', '>=', '40');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await page.getByTestId('filter-text').waitFor();
  assert.equal(await page.getByTestId('filter-text').innerText(), '(data.city = "Oslo" OR data.city = "Bergen") AND data.age >= 40');
  await page.getByRole('cell', { name: 'Ed', exact: true }).waitFor({ state: 'detached' });
  assert.deepEqual((await names(page)).sort(), ['Cy', 'Di']);
  await screenshot(page, 'tables-or');

  // A number column compared with a word: the server's validation message lands under the filter.
  await page.getByLabel('Value', { exact: true }).nth(2).fill('old');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  const reason = page.locator('#filter-error');
  await reason.waitFor();
  assert.match(await reason.innerText(), /age/);
  assert.equal(await page.getByLabel('Value', { exact: true }).nth(2).getAttribute('aria-invalid'), 'true');
  guard.assertClean();
  await context.close();
});
