// Search view: a misspelt query still finds the document, says the typo stage found it, marks
// the matched word in the snippet and links to the item; bad filter input lands on its field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newUser, screenshot, signIn } from './harness.mjs';
import { document } from './fixtures.mjs';

// The emoji before the match is two UTF-16 units but one code point: a highlight cut by UTF-16
// offsets would mark 'iverbank,' instead of the word.
const TEXT = 'Grey herons 🪶 build their nests high in the alder trees along the riverbank, returning each spring.';
let browser;
let user;
let item;

before(async () => {
  user = await newUser('searcher');
  item = await document(user.token, 'Heron field notes', TEXT);
  await document(user.token, 'Shopping list', 'Oat milk, lentils, two lemons and a loaf of rye bread.');
  browser = await launch();
});

after(async () => browser?.close());

test('a query with a typo finds the document, labelled as found by the typo stage, with the word highlighted', async () => {
  const { page, guard, context } = await newPage(browser, { secrets: [user.token, 'riverbnak', 'riverbank', 'herons'] });
  await signIn(page, user.token, '#/search');
  await page.getByLabel('Search your data').fill('riverbnak');
  await page.getByRole('button', { name: 'Search', exact: true }).click();

  const hit = page.locator('.hit').first();
  await hit.waitFor();
  assert.equal(await hit.getByRole('link').textContent(), 'Heron field notes', 'the misspelt word\'s document comes first');
  // Hybrid mode fuses in meaning-based hits; anything else found is labelled as such, not as a word match.
  const others = await page.locator('.hit').nth(1).locator('.tag').allTextContents();
  assert.ok(others.every((t) => t.trim() === 'semantic'), `other hits: ${others}`);
  assert.equal((await hit.locator('.tag').textContent()).trim(), 'typo');
  assert.equal(await hit.locator('mark').first().textContent(), 'riverbank', 'the corrected word is highlighted');
  assert.equal(await hit.getByRole('link', { name: 'Heron field notes' }).getAttribute('href'), `#/vault/${item}`);
  await page.getByText('showing results for').waitFor();
  await screenshot(page, 'search');
  guard.assertClean();
  await context.close();
});

test('a malformed media-type filter is refused with the reason shown on that field', async () => {
  const { page, guard, context } = await newPage(browser, { secrets: [user.token] });
  await signIn(page, user.token, '#/search');
  await page.getByLabel('Search your data').fill('herons');
  await page.getByText('Filters').click();
  await page.getByLabel(/Media types/).fill('not a media type');
  await page.getByRole('button', { name: 'Search', exact: true }).click();

  const fieldError = page.locator('#search-media-error');
  await fieldError.waitFor();
  assert.match(await fieldError.textContent(), /match|pattern/i);
  assert.equal(await page.locator('.hit').count(), 0, 'no results are shown for a refused search');
  guard.assertClean();
  await context.close();
});
