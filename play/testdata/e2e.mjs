// The play page in Chromium, as a student uses it. Run by play's Go test
// (TestPageInChromium), which starts the servers and checks the files after:
//   node e2e.mjs WORKSPACE_URL BROWSER_URL SHOTS_DIR PROFILE_DIR WORKSPACE_DIR
// WORKSPACE_URL serves a fresh lua-atomicity workspace; BROWSER_URL a server
// with no workspace (work kept in the browser). Fails (exit 1) with the
// step that went wrong; any console error or page error fails it too.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const [workspaceURL, browserURL, shots, profile, folder, sharedURL] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
  acceptDownloads: true,
  permissions: ['clipboard-read', 'clipboard-write'],
});
// Generous waits: the suite runs with both cores busy.
context.setDefaultTimeout(60000);
const problems = [];
const page = context.pages()[0] || (await context.newPage());
page.on('console', (m) => {
  if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text());
});
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
// A request cut short by the test's own reloads is net::ERR_ABORTED (Chromium
// may report the demo's stream so even once the page has read all of it);
// every other failure counts.
page.on('requestfailed', (r) => {
  const why = (r.failure() || {}).errorText;
  if (why !== 'net::ERR_ABORTED') problems.push('request failed: ' + r.url() + ' ' + why);
});
page.on('request', (r) => {
  if (!r.url().startsWith('http://127.0.0.1') && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) problems.push('request off this machine: ' + r.url());
});

let stepName = 'start';
const step = (name) => {
  stepName = name;
  console.log('--- ' + name);
};
const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });

// write types below an editor's starter comments, as a student does
// (keyboard only: Ctrl+End, Enter, then the text); replace types over all
// of it instead (Ctrl+A first).
async function write(file, text, replace) {
  const editor = page.getByRole('textbox', { name: file, exact: true });
  await editor.click();
  if (replace) {
    await page.keyboard.press('Control+A');
  } else {
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
  }
  await page.keyboard.type(text);
}

const progress = () => page.locator('#progress-label');
const stepItem = (id) => page.locator('#step-' + id);
// openStep opens a step that a Check folded, by its summary.
async function openStep(id) {
  if ((await stepItem(id).locator('details').getAttribute('open')) === null) await stepItem(id).locator('summary').click();
}

try {
  step('the page opens the workspace exercise, every step at 0');
  await page.goto(workspaceURL);
  await page.getByRole('heading', { level: 1, name: 'Why Lua scripts enable atomicity in Redis' }).waitFor();
  assert.equal(await progress().innerText(), 'Progress 0 / 4 steps');
  assert.match(await page.locator('.where').innerText(), /saved in/);
  assert.equal(new URL(page.url()).searchParams.has('token'), false, 'the token is out of the address bar');
  for (const f of ['step1.redis', 'step2.lua', 'step3.redis', 'step4.lua']) {
    await page.getByRole('textbox', { name: f, exact: true }).waitFor();
  }

  step('Check with nothing written: step 1 says to write below the comments');
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await page.locator('.score').filter({ hasText: 'Score: 0/4' }).waitFor();
  assert.match(await stepItem('setup').locator('.feedback').innerText(), /step1\.redis holds only comments so far/);

  step('asks for a hint on step 1, then another');
  const hint = stepItem('setup').getByRole('button', { name: 'Need a hint?' });
  await hint.click();
  await stepItem('setup').locator('.hints li').first().waitFor();
  assert.match(await stepItem('setup').locator('.hints').innerText(), /Hint 1 of 2: SET stores a value under a key/);
  await stepItem('setup').getByRole('button', { name: 'Another hint' }).click();
  await stepItem('setup').locator('.hints li').nth(1).waitFor();
  assert.match(await stepItem('setup').locator('.hints').innerText(), /Hint 2 of 2: Two lines: SET stock 100, then SET sales 0\./);

  step('types steps 1, 2 and 4 right, and step 3 as DECR and INCR, two commands');
  await write('step1.redis', 'SET stock 100\nSET sales 0');
  await write('step2.lua', "redis.call('DECR', 'stock')\nredis.call('INCR', 'sales')");
  await write('step3.redis', 'DECR stock\nINCR sales');
  await write('step4.lua', "local stock = redis.call('DECR', 'stock')\nlocal sales = redis.call('INCR', 'sales')\nreturn {stock, sales}");

  step('Ctrl-Enter checks: step 3 fails with the atomicity explanation');
  await page.keyboard.press('Control+Enter');
  await page.locator('.score').filter({ hasText: 'Score: 3/4' }).waitFor();
  assert.equal(await progress().innerText(), 'Progress 3 / 4 steps');
  const fb3 = await stepItem('run-atomically').locator('.feedback').innerText();
  assert.match(fb3, /sends EVAL 0 times, expected once/);
  assert.match(fb3, /serializable beside the dashboard/);
  assert.match(fb3, /you: DECR stock +-> 99\nthe dashboard: MGET stock sales +-> \["99", "0"\]\nyou: INCR sales +-> 1/);
  assert.match(fb3, /none gives these replies: one client saw what another was half way through/);
  assert.match(fb3, /Why: This step runs the update as one Lua script, with EVAL/);
  assert.equal(await stepItem('run-atomically').locator('details').getAttribute('open'), '', 'the first unfinished step is open');
  assert.equal(await stepItem('setup').locator('details').getAttribute('open'), null, 'a finished step folds');
  assert.match(await stepItem('setup').locator('summary').innerText(), /✔/);
  await shot('step3-two-commands');

  step('asks for a hint on step 3');
  await stepItem('run-atomically').getByRole('button', { name: 'Need a hint?' }).click();
  await stepItem('run-atomically').locator('.hints li').first().waitFor();
  assert.match(await stepItem('run-atomically').locator('.hints').innerText(), /Hint 1 of \d+: /);

  step('fixes step 3 with one EVAL and sees 4/4');
  await write('step3.redis', `EVAL "redis.call('DECR', 'stock') redis.call('INCR', 'sales')" 0`, true);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await page.locator('.score').filter({ hasText: 'Score: 4/4' }).waitFor();
  assert.equal(await progress().innerText(), 'Progress 4 / 4 steps');
  assert.equal(await page.locator('.step.passed').count(), 4);
  await page.waitForFunction(() => document.querySelector('#step-run-atomically .save').textContent === 'Saved to step3.redis');

  step('reloads and finds the work, graded at once');
  await page.reload();
  await page.locator('.score').filter({ hasText: 'Score: 4/4' }).waitFor();
  assert.equal(await progress().innerText(), 'Progress 4 / 4 steps');
  await openStep('setup');
  await openStep('run-atomically');
  await page.getByRole('textbox', { name: 'step3.redis', exact: true }).waitFor();
  assert.match(await page.getByRole('textbox', { name: 'step3.redis', exact: true }).innerText(), /EVAL "redis\.call\('DECR', 'stock'\) redis\.call\('INCR', 'sales'\)" 0/);
  assert.match(await page.getByRole('textbox', { name: 'step1.redis', exact: true }).innerText(), /SET stock 100\nSET sales 0/);
  assert.match(await stepItem('setup').locator('.hint-note').innerText(), /Hints seen: 2 of 2/);

  step('runs the demo: the three ways, then the table and why');
  await page.getByRole('button', { name: 'Run the demo' }).click();
  await page.locator('.demo table').waitFor({ timeout: 60000 });
  await page.getByRole('button', { name: 'Run the demo again' }).waitFor();
  const rows = page.locator('.demo tbody tr');
  assert.equal(await rows.count(), 3);
  const lua = await rows.nth(2).innerText();
  assert.match(lua, /^Lua script \(EVAL\)\t1000\t\d+\t0\t0\t0\t1000$/);
  const two = await rows.nth(1).locator('td').nth(2).innerText();
  assert.ok(Number(two) > 0, 'DECR, INCR as two commands shows inconsistent reads, got ' + two);
  assert.match(await page.locator('.demo .why').innerText(), /A Lua script runs on the server as one step/);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await page.locator('.score').filter({ hasText: 'Score: 4/4' }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('workspace-4-of-4');

  step('readable: every text meets WCAG AA contrast; every button is named; it fits a laptop and narrower');
  const lowContrast = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el.checkVisibility() || el.closest('button:disabled')) continue;
      const st = getComputedStyle(el);
      const a = lum(rgb(st.color).slice(0, 3));
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && Number(st.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(n.textContent.trim().slice(0, 40) + ' ' + ratio.toFixed(2));
    }
    return bad;
  });
  assert.deepEqual(lowContrast, [], 'text below AA contrast');
  for (const b of await page.getByRole('button').all()) assert.ok((await b.innerText()).trim(), 'a button with no name');
  for (const width of [1024, 800]) {
    await page.setViewportSize({ width, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, 'at ' + width + ' px the page scrolls sideways by ' + overflow + ' px');
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  step('keyboard only: Tab reaches Check from the page top and Enter runs it');
  await page.reload();
  await page.locator('.score').filter({ hasText: 'Score: 4/4' }).waitFor();
  let reached = false;
  for (let i = 0; i < 10 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.textContent === 'Check');
  }
  assert.ok(reached, 'Tab reaches Check');
  await page.keyboard.press('Enter');
  await page.locator('.score').filter({ hasText: 'Score: 4/4' }).waitFor();
  await stepItem('setup').locator('summary').focus();
  await page.keyboard.press('Enter'); // opens the folded step
  await page.getByRole('textbox', { name: 'step1.redis', exact: true }).focus();
  await page.keyboard.press('Tab'); // Tab leaves an editor: it does not indent
  assert.ok(await page.evaluate(() => !document.activeElement.closest('.cm-editor')), 'Tab leaves the editor');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Need a hint?');

  step('a file too large is not saved, and says so; undo brings it back');
  const big = 'SET big ' + 'x'.repeat(1 << 20) + '\n';
  await page.evaluate((text) => navigator.clipboard.writeText(text), big);
  await openStep('return-values'); // a finished step is folded
  await page.getByRole('textbox', { name: 'step4.lua', exact: true }).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Control+V');
  await page.locator('#step-return-values .save.error').filter({ hasText: 'over the 1 MiB a step file may hold: not saved' }).waitFor();
  await page.keyboard.press('Control+Z');
  await page.waitForFunction(() => document.querySelector('#step-return-values .save').textContent === 'Saved to step4.lua');

  step('an edit made on disk while the page is open is never overwritten unseen: keep mine, or use the disk');
  const step1 = path.join(folder, 'step1.redis');
  const mine = fs.readFileSync(step1, 'utf8');
  fs.writeFileSync(step1, '# edited in my editor\nSET stock 100\nSET sales 0\n');
  await openStep('setup');
  await write('step1.redis', '# typed in the page');
  const conflictBox = stepItem('setup').locator('.conflict');
  await conflictBox.filter({ hasText: 'step1.redis was changed outside this page' }).waitFor();
  assert.equal(fs.readFileSync(step1, 'utf8'), '# edited in my editor\nSET stock 100\nSET sales 0\n', 'the disk edit is kept until the student chooses');
  await conflictBox.getByRole('button', { name: 'Keep mine (replace the file)' }).click();
  await conflictBox.waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.querySelector('#step-setup .save').textContent === 'Saved to step1.redis');
  assert.equal(fs.readFileSync(step1, 'utf8'), mine + '\n# typed in the page');
  fs.writeFileSync(step1, '# edited in my editor\nSET stock 100\nSET sales 0\n');
  await write('step1.redis', '# typed again');
  await conflictBox.filter({ hasText: 'changed outside this page' }).waitFor();
  await conflictBox.getByRole('button', { name: 'Use the file on disk (drop my edit)' }).click();
  await conflictBox.waitFor({ state: 'hidden' });
  assert.equal((await page.getByRole('textbox', { name: 'step1.redis', exact: true }).innerText()).trimEnd(), '# edited in my editor\nSET stock 100\nSET sales 0');
  // Chromium logs the two 409s behind the choices: they are the point of the step.
  for (let i = problems.length - 1; i >= 0; i--) if (/409 \(Conflict\)/.test(problems[i])) problems.splice(i, 1);

  step('a grader that cannot grade is said plainly, and the work stays');
  await page.route('**/play/api/exercises/*/grade', (route) =>
    route.fulfill({ status: 503, json: { error: 'the grader could not grade (not your code\'s fault): start redis-server: no such file', status: 503 } })
  );
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: "the grader could not grade (not your code's fault): start redis-server" }).waitFor();
  assert.equal(await page.locator('.score').innerText(), 'Not checked.');
  assert.match(await stepItem('run-atomically').locator('.cm-content').textContent(), /EVAL "redis\.call/);
  await page.unroute('**/play/api/exercises/*/grade');
  // Chromium logs the 503 the route answered: it is the point of the step.
  for (let i = problems.length - 1; i >= 0; i--) if (/503 \(Service Unavailable\)/.test(problems[i])) problems.splice(i, 1);

  step('without a workspace: the catalog, then work kept in the browser across a reload');
  await page.goto(browserURL);
  await page.getByRole('heading', { level: 1, name: 'Redis exercises' }).waitFor();
  const card = page.getByRole('link', { name: 'Why Lua scripts enable atomicity in Redis' });
  assert.match(await page.locator('.catalog li').filter({ has: card }).innerText(), /4 steps · about 20 min/);
  await shot('catalog');
  await card.click();
  await page.getByRole('textbox', { name: 'step1.redis', exact: true }).waitFor();
  assert.match(await page.locator('.where').innerText(), /kept in this browser/);
  await write('step1.redis', 'SET stock 100\nSET sales 0');
  await page.locator('#step-setup .save.ok').waitFor();
  await page.reload();
  await page.locator('.score').filter({ hasText: 'Score: 1/4' }).waitFor();
  await openStep('setup');
  assert.match(await page.getByRole('textbox', { name: 'step1.redis', exact: true }).innerText(), /SET stock 100\nSET sales 0/);

  step('downloads the submission as a .zip');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download my submission (.zip)' }).click()]);
  assert.equal(download.suggestedFilename(), 'lua-atomicity.zip');
  await download.saveAs(path.join(shots, 'lua-atomicity.zip'));

  step('a named mistake in the result is shown, as text (a fixture until the grader names them)');
  await page.route('**/play/api/exercises/*/grade', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const s3 = body.report.steps.find((s) => s.id === 'run-atomically');
    s3.mistake = { id: 'two-commands', name: '<b>DECR and INCR as two commands</b>', feedback: 'Another client can run between them. <img src=x onerror=alert(1)>' };
    await route.fulfill({ response: res, json: body });
  });
  await write('step3.redis', 'DECR stock\nINCR sales', true);
  await page.getByRole('button', { name: 'Check', exact: true }).click();
  const mistake = stepItem('run-atomically').locator('.mistake');
  await mistake.waitFor();
  assert.equal(
    await mistake.innerText(),
    'This looks like a known mistake: <b>DECR and INCR as two commands</b>. Another client can run between them. <img src=x onerror=alert(1)>'
  );
  assert.equal(await mistake.locator('b, img').count(), 0, 'grader strings are text, never markup');
  await page.unroute('**/play/api/exercises/*/grade');

  step('on a class server, a shared browser keeps each person\'s work apart');
  await page.goto(sharedURL);
  await page.getByRole('heading', { level: 1, name: 'Who is working?' }).waitFor();
  await page.getByLabel('Your name or student id').fill('ana');
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'Why Lua scripts enable atomicity in Redis' }).click();
  await page.getByRole('textbox', { name: 'step1.redis', exact: true }).waitFor();
  assert.match(await page.locator('.where').innerText(), /kept in this browser under ana/);
  await write('step1.redis', 'SET stock 100 # ana');
  await page.locator('#step-setup .save.ok').waitFor();
  await page.getByRole('button', { name: 'Not ana? Switch' }).click();
  await page.getByLabel('Your name or student id').fill('ben');
  await page.keyboard.press('Enter');
  await page.getByRole('textbox', { name: 'step1.redis', exact: true }).waitFor();
  assert.match(await page.locator('.where').innerText(), /under ben/);
  assert.doesNotMatch(await page.getByRole('textbox', { name: 'step1.redis', exact: true }).innerText(), /# ana/, "ben sees ana's work");
  await page.getByRole('button', { name: 'Not ben? Switch' }).click();
  await page.getByLabel('Your name or student id').fill('ana');
  await page.keyboard.press('Enter');
  await page.getByRole('textbox', { name: 'step1.redis', exact: true }).waitFor();
  assert.match(await page.getByRole('textbox', { name: 'step1.redis', exact: true }).innerText(), /SET stock 100 # ana/, 'ana finds her work');

  step('a page with no token asks for it (a new tab: the token is kept per tab)');
  const bare = await context.newPage();
  const bareErrors = [];
  bare.on('console', (m) => m.type() === 'error' && bareErrors.push(m.text()));
  await bare.goto(browserURL.replace(/\?token=[^#]*/, ''));
  await bare.getByRole('heading', { name: 'This page needs its token' }).waitFor();
  await bare.getByLabel('Token').fill(new URL(browserURL).searchParams.get('token'));
  await bare.keyboard.press('Enter');
  await bare.getByRole('heading', { level: 1, name: 'Redis exercises' }).waitFor();
  // Chromium logs the one 401 behind the form: it is the point of the step.
  assert.ok(bareErrors.length === 1 && /401/.test(bareErrors[0]), 'one 401 logged, got ' + JSON.stringify(bareErrors));
  await bare.close();

  assert.deepEqual(problems, [], 'no console errors, page errors or requests off this machine');
  console.log('ok');
} catch (e) {
  await shot('failure').catch(() => {});
  console.error('FAILED at "' + stepName + '": ' + e.message);
  if (problems.length) console.error('console:\n  ' + problems.join('\n  '));
  await context.close();
  process.exit(1);
}
await context.close();
