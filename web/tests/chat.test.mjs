// Chat view: an answer streams in with [n] citations that open the cited passage; a page reload in
// the middle of the answer shows the whole answer afterwards, each word once; Stop keeps the text
// so far. Answers come from a fake OpenAI-compatible model server in this process (Cairn runs with
// CAIRN_CHAT_GENERATOR=openai pointed at FAKE_LLM_PORT), so the test decides when the answer
// pauses — with latches, not sleeps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, newUser, rest, screenshot, secret, signIn } from './harness.mjs';
import { document } from './fixtures.mjs';
import { heldAnswer, startFakeLlm } from './fake-llm.mjs';

const NOTES = 'Grey herons build their nests high in the alder trees along the riverbank, returning each spring.';
const WAIT = { timeout: 30_000 };
let browser;
let llm;
let user;

before(async () => {
  const port = Number(process.env.FAKE_LLM_PORT);
  assert.ok(port > 0, 'FAKE_LLM_PORT is not set: run the browser tests through tools/web/run.sh');
  llm = await startFakeLlm(port);
  user = await newUser('chatter');
  await document(user.token, 'Heron field notes', NOTES);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await llm?.close();
});

/** Signs in on the chat view, starts a conversation and asks `question`. */
async function ask(page, question) {
  await signIn(page, user.token, '#/chat');
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.waitForURL(/#\/chat\/conversations\/[A-Za-z0-9_-]+$/);
  await page.getByLabel('Ask about your data').fill(secret(question));
  await page.getByRole('button', { name: 'Send' }).click();
}

const answer = (page) => page.locator('.from-assistant').last();
const answerText = (page) => answer(page).locator('.message-text');

async function waitForText(page, expected) {
  await page.waitForFunction(
    (want) => document.querySelector('.from-assistant:last-of-type .message-text')?.textContent?.replace('▍', '') === want,
    expected,
    WAIT,
  );
}

test('a page reload in the middle of an answer shows the whole answer afterwards, each piece once', async () => {
  const parts = ['Grey herons nest ', 'high in alder trees ', 'along the riverbank [1]. ', 'They come back ', 'every spring [1].'];
  const held = llm.queue(heldAnswer(parts, 3));
  secret(held.text);
  const { page, guard, context } = await newPage(browser, { secrets: [user.token, 'herons', 'alder'] });
  await ask(page, 'Where do the herons nest?');

  await held.held;
  const partial = parts.slice(0, 3).join('');
  await waitForText(page, partial);
  await page.reload();
  await page.getByTestId('signed-in-as').waitFor(WAIT); // the session survives the reload (sessionStorage)
  await answer(page).waitFor(WAIT);
  assert.equal(await answer(page).getAttribute('data-state'), 'STREAMING', 'after the reload the answer is still streaming');

  held.release();
  await page.locator('.from-assistant[data-state="COMPLETED"]').waitFor(WAIT);
  await waitForText(page, held.text);
  assert.equal(llm.requests.length, 1, 'the reload asked the model nothing new');

  await answerText(page).getByRole('button', { name: /^Source 1/ }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(await dialog.getByRole('heading').textContent(), /Heron field notes/);
  assert.match(await dialog.locator('.passage').textContent(), /alder trees along the riverbank/);
  await screenshot(page, 'chat');
  await dialog.getByRole('button', { name: 'Close' }).click();
  guard.assertClean();
  await context.close();
});

test('Stop ends the answer and keeps the text written so far, also after a reload', async () => {
  const parts = ['Herons nest ', 'in alder trees ', 'by the river ', 'and nowhere else.'];
  const held = llm.queue(heldAnswer(parts, 2));
  secret(held.text);
  // At a phone's width: the composer and Stop must be reachable there too.
  const { page, guard, context } = await newPage(browser, { secrets: [user.token, 'herons', 'alder'], viewport: { width: 375, height: 740 } });
  await ask(page, 'Where do herons build nests?');

  await held.held;
  const partial = parts.slice(0, 2).join('');
  await waitForText(page, partial);
  await page.getByRole('button', { name: 'Stop' }).click();

  await held.closed; // Cairn hung up on the model: generation really stopped
  await page.locator('.from-assistant[data-state="CANCELLED"]').waitFor(WAIT);
  await waitForText(page, partial);
  await answer(page).getByText('Stopped — the answer so far is kept.').waitFor();
  await page.getByRole('button', { name: 'Send' }).waitFor(); // the composer is ready for the next question

  await page.reload();
  await page.locator('.from-assistant[data-state="CANCELLED"]').waitFor(WAIT);
  await waitForText(page, partial);
  await screenshot(page, 'chat-stopped-phone');
  guard.assertClean();
  await context.close();
});

test('editing an earlier question makes a branch beside it; ‹ › switch questions and answers, and Regenerate adds a sibling answer', async () => {
  const first = llm.queue(heldAnswer(['Herons nest ', 'in alders.'], -1));
  const { page, guard, context } = await newPage(browser, { secrets: [user.token, 'herons', 'alder'] });
  await ask(page, 'Where do herons sleep?');
  await waitForText(page, first.text);
  await page.locator('.from-assistant[data-state="COMPLETED"]').waitFor(WAIT);

  const question = page.locator('.from-user').first();
  const second = llm.queue(heldAnswer(['They nest ', 'by the river.'], -1));
  await question.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Edit your question').fill(secret('Where exactly do herons nest?'));
  await page.getByRole('button', { name: 'Send edited question' }).click();
  await waitForText(page, second.text);
  await page.locator('.from-assistant[data-state="COMPLETED"]').waitFor(WAIT);
  assert.equal(await question.locator('.message-text').innerText(), 'Where exactly do herons nest?');
  assert.match(await question.getByRole('group', { name: 'Versions of this question' }).innerText(), /2\/2/);
  assert.equal(await page.locator('.from-assistant').count(), 1, 'only the edited branch is shown');

  await question.getByRole('button', { name: 'Previous question' }).click();
  await page.waitForFunction(() => document.querySelector('.from-user .message-text')?.textContent === 'Where do herons sleep?');
  await waitForText(page, first.text);
  await question.getByRole('button', { name: 'Next question' }).click();
  await waitForText(page, second.text);

  const third = llm.queue(heldAnswer(['Along ', 'the riverbank.'], -1));
  await answer(page).getByRole('button', { name: 'Regenerate' }).click();
  await waitForText(page, third.text);
  await page.locator('.from-assistant[data-state="COMPLETED"]').waitFor(WAIT);
  assert.match(await answer(page).getByRole('group', { name: 'Versions of this answer' }).innerText(), /2\/2/);
  await answer(page).getByRole('button', { name: 'Previous answer' }).click();
  await waitForText(page, second.text);
  await screenshot(page, 'chat-branches');

  // The server holds both questions as siblings: the edit did not overwrite the first.
  const conversation = page.url().slice(page.url().indexOf('conversations/'));
  const { messages } = await rest('GET', `/v1/${conversation}/messages?page_size=100`, user.token);
  const questions = messages.filter((m) => m.role === 'ROLE_USER');
  assert.deepEqual(questions.map((m) => m.text), ['Where do herons sleep?', 'Where exactly do herons nest?']);
  assert.equal(questions[0].parent ?? '', questions[1].parent ?? '');
  guard.assertClean();
  await context.close();
});
