// Browser scenarios for the reviewer UI, run by review/web's TestBrowser
// (which starts the server, seeds the store and checks the store after).
// Headless Debian Chromium via playwright-core. Exits non-zero if any
// scenario fails; screenshots go to ARTIFACT_DIR.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const BASE = process.env.BASE_URL;
const ATTACKER = process.env.ATTACKER_URL;
const ART = process.env.ARTIFACT_DIR;
const PASSWORD = process.env.PASSWORD;
const S = JSON.parse(process.env.SCENARIO);
const baseOrigin = new URL(BASE).origin;
fs.mkdirSync(ART, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Playwright gives every launch a new, empty profile (--user-data-dir).
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});

let failures = 0;
let shot = 0;
async function snap(page, name) {
  shot++;
  const file = path.join(ART, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => {});
}

async function step(name, page, fn) {
  const t = Date.now();
  try {
    await fn();
    console.log(`ok - ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
    if (page) await snap(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  }
}

// A browser context that records dialogs, page errors, CSP reports and
// every request leaving the UI's origin (which it blocks).
async function newContext({ guard = true } = {}) {
  const ctx = await browser.newContext({ baseURL: BASE, viewport: { width: 1360, height: 900 } });
  ctx.setDefaultTimeout(10000);
  const st = { dialogs: [], outbound: [], pageErrors: [], console: [] };
  if (guard) {
    await ctx.route('**/*', (route) => {
      const u = route.request().url();
      if (new URL(u).origin === baseOrigin) return route.continue();
      st.outbound.push(u);
      return route.abort();
    });
  }
  ctx.on('page', (p) => {
    p.on('dialog', (d) => { st.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    p.on('pageerror', (err) => st.pageErrors.push(String(err)));
    p.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') st.console.push(m.text()); });
  });
  const page = await ctx.newPage();
  return { ctx, page, st };
}

function assertClean(st, where) {
  assert.deepEqual(st.dialogs, [], `${where}: dialogs fired`);
  assert.deepEqual(st.outbound, [], `${where}: requests left the UI's origin`);
  assert.deepEqual(st.pageErrors, [], `${where}: page errors`);
  const csp = st.console.filter((m) => /Content Security Policy|Refused to/i.test(m));
  assert.deepEqual(csp, [], `${where}: CSP violations (something tried to run or load)`);
}

async function login(page, user, { shots = false } = {}) {
  await page.goto('/review/');
  assert.match(page.url(), /\/review\/login\?next=/, 'unauthenticated visit goes to the login page');
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  if (shots) await snap(page, 'login');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/review/login')), page.click('#login')]);
  assert.match(await page.textContent('[data-testid=me]'), new RegExp(`^${user}`));
}

const alice = await newContext();
const ada = await newContext();
const vera = await newContext();

await step('a reviewer logs in', alice.page, async () => {
  // A wrong password first: refused with a generic message.
  await alice.page.goto('/review/login');
  await alice.page.fill('#username', 'alice');
  await alice.page.fill('#password', 'not the password');
  await alice.page.click('#login');
  assert.match(await alice.page.textContent('[data-testid=problem]'), /Wrong user name or password/);
  await login(alice.page, 'alice', { shots: true });
  assert.ok((await alice.page.locator('table.queue tr.row').count()) > 0, 'queue rows');
  await snap(alice.page, 'queue');
});

await step('filter the queue', alice.page, async () => {
  const p = alice.page;
  await p.fill('#f-tenant', S.tenant);
  await p.selectOption('#f-action', 'block');
  await Promise.all([p.waitForURL(/tenant=acme/), p.click('#apply-filters')]);
  const tenants = await p.locator('td.tenant').allTextContents();
  assert.ok(tenants.length > 0, 'rows after filtering');
  assert.ok(tenants.every((x) => x === S.tenant), `only ${S.tenant}: ${tenants}`);
  const actions = await p.locator('table.queue tr.row .action').allTextContents();
  assert.ok(actions.every((x) => x === 'block'), `only block: ${actions}`);
  const count = await p.textContent('[data-testid=count]');
  assert.match(count, new RegExp(`^${tenants.length} incident`), `count "${count}" matches ${tenants.length} rows`);
  assert.ok(await p.locator(`tr[data-id="${S.target}"]`).count(), 'the target incident is listed');
  // Sort by age, then open the target with the keyboard (j … o).
  await p.selectOption('#f-sort', 'oldest');
  await Promise.all([p.waitForURL(/sort=oldest/), p.click('#apply-filters')]);
  await snap(p, 'queue-filtered');
  const rows = await p.locator('table.queue tr.row').evaluateAll((rs) => rs.map((r) => r.dataset.id));
  const idx = rows.indexOf(S.target);
  assert.ok(idx >= 0, 'target in the sorted rows');
  for (let i = 0; i <= idx; i++) await p.keyboard.press('j');
  await Promise.all([p.waitForURL(/\/review\/incidents\//), p.keyboard.press('o')]);
  assert.equal(await p.textContent('[data-testid=incident-id]'), S.target);
});

await step('claim (keyboard), reveal, give a verdict', alice.page, async () => {
  const p = alice.page;
  await p.goto(`/review/incidents/${S.target}`);
  await Promise.all([p.waitForURL(/done=claimed/), p.keyboard.press('c')]);
  assert.match(await p.textContent('[data-testid=claim]'), /Claimed by you/);
  await p.click('#reveal');
  await p.waitForSelector('[data-testid=prompt]');
  assert.equal(await p.textContent('[data-testid=prompt]'), S.targetPrompt);
  assert.ok(!p.url().includes('prompt'), 'no secret in the URL');
  await snap(p, 'revealed');
  await p.goto(`/review/incidents/${S.target}`);
  await p.check('input[name=category][value=jailbreak]');
  await p.fill('#note', 'seen in the browser <b>bold?</b>');
  await Promise.all([p.waitForURL(/done=verdict/), p.click('#v-relabel')]);
  assert.equal(await p.textContent('[data-testid=flash]'), 'Verdict recorded.');
  const hist = await p.textContent('[data-testid=history]');
  assert.match(hist, /relabel\s+by alice/);
  assert.match(hist, /seen in the browser <b>bold\?<\/b>/, 'the note shown as text');
  assert.equal(await p.textContent('[data-testid=state]'), 'resolved');
  await snap(p, 'verdict');
});

await step('bulk verdict', alice.page, async () => {
  const p = alice.page;
  await p.goto('/review/?tenant=bulk-co');
  for (const id of S.bulk) await p.check(`input[name=id][value="${id}"]`);
  assert.equal(await p.textContent('#selected-count'), `${S.bulk.length} selected`);
  await p.selectOption('#bulk-kind', 'overturn');
  await Promise.all([p.waitForURL(/done=bulk/), p.click('#bulk-apply')]);
  assert.match(await p.textContent('[data-testid=flash]'), new RegExp(`${S.bulk.length} recorded, 0 not`));
  assert.match(p.url(), /tenant=bulk-co/, 'filters kept');
  await snap(p, 'bulk');
});

await step('an admin sees the verdict in the audit log', ada.page, async () => {
  const p = ada.page;
  await login(p, 'ada');
  await p.goto('/review/audit');
  const row = p.locator('#audit tr', { has: p.locator('td.act', { hasText: /^verdict$/ }) }).filter({ hasText: S.target });
  assert.equal(await row.count(), 1, 'one verdict entry for the target');
  assert.equal(await row.locator('td.actor').textContent(), 'alice');
  assert.match(await row.locator('td.detail').textContent(), /"verdict":"relabel"/);
  const reveal = p.locator('#audit tr[data-action=reveal]').filter({ hasText: S.target });
  assert.equal(await reveal.count(), 1, 'the reveal is audited');
  await Promise.all([p.waitForURL(/verify=1/), p.click('#verify')]);
  assert.match(await p.textContent('[data-testid=verify]'), /Chain verified: \d+ entries/);
  await snap(p, 'audit');
  await p.goto('/review/dashboard');
  assert.ok((await p.locator('figure.chart svg rect').count()) > 5, 'charts drawn');
  await snap(p, 'dashboard');
  assertClean(ada.st, 'admin pages');
});

await step('a viewer cannot give a verdict', vera.page, async () => {
  const p = vera.page;
  await login(p, 'vera');
  await p.goto(`/review/incidents/${S.viewerTarget}`);
  assert.equal(await p.locator('#verdict-form').count(), 0, 'no verdict form');
  assert.equal(await p.locator('#claim').count(), 0, 'no claim button');
  assert.equal(await p.locator('#reveal').count(), 0, 'no reveal button');
  assert.match(await p.textContent('[data-testid=viewer-note]'), /not claim them or give verdicts/);
  await p.keyboard.press('c'); // the shortcut finds nothing to press
  assert.equal(await p.textContent('[data-testid=state]'), 'open');
  // Forging the post with a valid session token still fails: the role.
  const status = await p.evaluate(async (id) => {
    const csrf = document.querySelector('input[name=csrf]').value;
    const r = await fetch(`/review/incidents/${id}/verdict`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `kind=confirm&csrf=${encodeURIComponent(csrf)}`,
    });
    return r.status;
  }, S.viewerTarget);
  assert.equal(status, 403);
  assert.equal(await p.locator('#bulk').count(), 0, 'no bulk form for viewers');
  await p.goto('/review/audit');
  assert.match(await p.textContent('[data-testid=error]'), /403/);
  await snap(p, 'viewer');
});

await step('XSS payloads render inert', alice.page, async () => {
  const { page: p, st } = alice;
  for (const id of S.xss) {
    await p.goto(`/review/incidents/${id}`);
    await p.waitForTimeout(150);
    const text = await p.textContent('[data-testid=text]');
    assert.ok(text.includes('<script>alert("xss-1")</script>'), 'the script tag shown as text');
    assert.ok(text.includes('<img src=x onerror="window.__xss=1">'), 'the img tag shown as text');
    assert.ok(text.includes('![x](' + ATTACKER + '/md.png)'), 'the markdown image shown as text');
    assert.equal(await p.evaluate(() => document.scripts.length), 1, 'only the UI script');
    assert.equal(await p.locator('main img, main iframe, main object, main embed, main style, main script').count(), 0, 'no injected elements');
    assert.equal(await p.locator('a[href^="javascript:"], [onerror], [onload], [onmouseover]').count(), 0, 'no active attributes');
    // Hover and click over the text: nothing runs.
    await p.hover('[data-testid=text]');
    await p.click('[data-testid=text]');
    assert.equal(await p.evaluate(() => window.__xss), undefined);
  }
  // Claim and reveal the first: the prompt payload is text too.
  await p.goto(`/review/incidents/${S.xss[0]}`);
  await Promise.all([p.waitForURL(/done=claimed/), p.click('#claim')]);
  await p.click('#reveal');
  await p.waitForSelector('[data-testid=prompt]');
  assert.ok((await p.textContent('[data-testid=prompt]')).includes("<script>alert('xss-14')</script>"));
  await snap(p, 'xss-incident');
  // The queue lists them (tenant, category, text previews are payloads).
  await p.goto('/review/?state=all&sort=newest');
  await p.waitForTimeout(150);
  await snap(p, 'xss-queue');
  await p.goto(`/review/incidents/${S.xss[2]}`); // a note with a payload
  assert.match(await p.textContent('[data-testid=history]'), /window\.__xss=3/);
  assert.equal(await p.evaluate(() => window.__xss), undefined);
  assertClean(st, 'reviewer pages');
  // The admin's views of the same data: audit log and dashboard.
  await ada.page.goto('/review/?state=all&sort=newest');
  await ada.page.goto('/review/audit');
  await ada.page.goto(`/review/incidents/${S.xss[1]}`);
  await ada.page.click('#reveal');
  await ada.page.waitForSelector('[data-testid=prompt]');
  assertClean(ada.st, 'admin pages with payloads');
});

await step('a cross-site form post is rejected', null, async () => {
  // alice, logged in, visits the attacker's site, which auto-posts a
  // verdict to the UI.
  const { ctx, page: p } = await newContext({ guard: false });
  await login(p, 'alice');
  const action = `${BASE}/review/incidents/${S.csrfTarget}/verdict`;
  const resp = p.waitForResponse((r) => r.url() === action);
  await p.goto(`${ATTACKER}/csrf.html?action=${encodeURIComponent(action)}`);
  const r = await resp;
  assert.equal(r.status(), 403, 'cross-site post refused');
  await p.waitForURL(action);
  assert.match(await p.textContent('[data-testid=error]'), /Cross-origin request rejected/);
  await snap(p, 'csrf-rejected');
  await p.goto(`${BASE}/review/incidents/${S.csrfTarget}`);
  assert.equal(await p.textContent('[data-testid=state]'), 'open');
  await ctx.close();
});

await step('logout ends the session on the server', alice.page, async () => {
  const p = alice.page;
  const cookies = await alice.ctx.cookies();
  assert.ok(cookies.some((c) => c.name === 'warden_session' && c.httpOnly && c.sameSite === 'Lax'), 'session cookie flags');
  await p.goto('/review/');
  await Promise.all([p.waitForURL(/\/review\/login\?done=logged_out/), p.click('#logout')]);
  assert.equal(await p.textContent('[data-testid=flash]'), 'You are logged out.');
  // The old cookie, replayed from another browser, no longer works.
  const { ctx, page } = await newContext();
  await ctx.addCookies(cookies.filter((c) => c.name === 'warden_session'));
  await page.goto('/review/');
  assert.match(page.url(), /\/review\/login/);
  await snap(page, 'logged-out');
  await ctx.close();
});

await browser.close();
console.log(failures ? `${failures} scenario(s) failed` : 'all browser scenarios passed');
process.exit(failures ? 1 : 0);
