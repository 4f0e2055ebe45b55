// Browser-test helpers for the console, run by tools/web/run.sh (node --test web/tests/*.test.mjs)
// against a throwaway Cairn + Envoy on loopback. Environment:
//   CONSOLE_URL        the gateway's origin, where the console is served (http://127.0.0.1:<port>/)
//   CAIRN_ADMIN_TOKEN  the throwaway server's admin token (creates users)
//   CHROMIUM           Debian's chromium binary (never a downloaded browser)
//   SCREENSHOT_DIR     where screenshot() writes <name>.png (docs/screenshots)
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';

export const CONSOLE_URL = required('CONSOLE_URL').replace(/\/$/, '');
const ADMIN_TOKEN = required('CAIRN_ADMIN_TOKEN');
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;
const SECRETS_FILE = process.env.SECRETS_FILE;

/**
 * Notes a token or a piece of test content in SECRETS_FILE, one a line: tools/web/run.sh fails
 * the run when any of them shows up in the server's or Envoy's log.
 */
export function secret(value) {
  if (SECRETS_FILE && value && !value.includes('\n')) appendFileSync(SECRETS_FILE, `${value}\n`);
  else if (SECRETS_FILE && value) for (const line of value.split('\n')) if (line.trim().length >= 8) appendFileSync(SECRETS_FILE, `${line}\n`);
  return value;
}

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through tools/web/run.sh`);
  return value;
}

/** One headless Chromium for a test file; close it in after(). */
export async function launch() {
  return chromium.launch({
    executablePath: required('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A JSON call through the gateway's REST transcoding (the harness's own way in, not the console's). */
export async function rest(method, path, token, body) {
  const res = await fetch(`${CONSOLE_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/**
 * A new user with a read+write token, created with the admin token. The username gets a random
 * suffix so test files can run against one server in any order. Returns { token, username, name }.
 */
export async function newUser(name) {
  const username = `${name}-${randomUUID().slice(0, 8)}`.toLowerCase();
  const { user } = await rest('POST', '/v1/users', ADMIN_TOKEN, { username, display_name: name });
  const { token } = await rest('POST', `/v1/${user.name}/apiTokens`, ADMIN_TOKEN, {
    display_name: 'browser test',
    scopes: ['TOKEN_SCOPE_READ', 'TOKEN_SCOPE_WRITE'],
  });
  return { token: secret(token), username, name: user.name };
}

/**
 * A page in a fresh browser context (its own sessionStorage), 1100x800 unless `viewport` says
 * otherwise, watched by a leak guard: `secrets` (tokens, test content) must never appear in a
 * console message or a request URL. Call `guard.assertClean()` at the end of the test.
 */
export async function newPage(browser, { secrets = [], viewport = { width: 1100, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const guard = leakGuard(page, secrets);
  return { context, page, guard };
}

/** Records every console message and request URL of `page`; assertClean() throws on a leak. */
export function leakGuard(page, secrets) {
  const watched = new Set(secrets.filter(Boolean));
  for (const s of watched) secret(s);
  const leaks = [];
  const errors = [];
  const check = (where, text) => {
    for (const s of watched) if (text.includes(s)) leaks.push(`${where}: ${text.slice(0, 200)}`);
  };
  page.on('console', (msg) => {
    check(`console.${msg.type()}`, msg.text());
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (req) => check(`request ${req.method()}`, req.url()));
  page.on('framenavigated', (frame) => check('navigation', frame.url()));
  return {
    watch: (value) => value && watched.add(secret(value)),
    assertClean() {
      if (leaks.length) throw new Error(`secret leaked:\n${leaks.join('\n')}`);
      const real = errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e));
      if (real.length) throw new Error(`page errors:\n${real.join('\n')}`);
    },
  };
}

/** Opens the console and signs in with `token` through the sign-in form. */
export async function signIn(page, token, hash = '#/vault') {
  await page.goto(`${CONSOLE_URL}/${hash}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}

/** A PNG of the page into SCREENSHOT_DIR/<name>.png (skipped when SCREENSHOT_DIR is unset). */
export async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core inside the page (WCAG 2.1 A/AA rules plus best practices) and returns its
 * violations as readable lines; [] when clean. axe is evaluated through the DevTools protocol, so
 * the console's strict Content-Security-Policy stays on.
 */
export async function axe(page) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await globalThis.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    if (!result.passes.length) return ['axe ran no rule: the audit did not happen'];
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return violations;
}

/**
 * At the page's width, whether anything makes the page scroll sideways; returns the offending
 * elements (those reaching past the viewport's right edge, outside a scrolling table wrapper).
 */
export async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-wrap'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} right=${Math.round(el.getBoundingClientRect().right)}`);
  });
}

/** Presses Tab until the focused element has accessible text `name` (a string or RegExp). */
export async function tabTo(page, name, { max = 80, shift = false } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
    const label = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return '';
      const byId = el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent;
      return (el.getAttribute('aria-label') || byId || el.textContent || '').trim();
    });
    if (typeof name === 'string' ? label === name : name.test(label)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}
