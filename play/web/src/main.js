// The play page: the catalog, then an exercise's steps, each with an editor
// for its file, graded by the server with the same feedback as
// `redisgrade check`. Every text from the server or the student goes into the
// page with textContent, never as markup.
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { EditorState } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from '@codemirror/language';
import { lua } from '@codemirror/legacy-modes/mode/lua';
import { redis } from './redis.js';
import './style.css';

const main = document.getElementById('main');
const alertBox = document.getElementById('alert');
const statusBox = document.getElementById('status');

// --- the token, as Jupyter's: in the address the command printed, kept for the tab.
const params = new URLSearchParams(location.search);
if (params.get('token')) {
  sessionStorage.setItem('redisgrade-token', params.get('token'));
  // Out of the address bar (and of what is shared of it, a screen or a
  // copied link): the tab keeps it.
  params.delete('token');
  window.history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : '') + location.hash);
}
const token = () => sessionStorage.getItem('redisgrade-token') || '';

// el builds an element: attributes, then children (strings become text nodes).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}

function showAlert(msg) {
  alertBox.textContent = msg;
  alertBox.hidden = !msg;
}

function announce(msg) {
  statusBox.textContent = msg;
}

class APIError extends Error {
  constructor(status, msg) {
    super(msg);
    this.status = status;
  }
}

// api calls the server; its errors say what went wrong in plain words.
async function api(method, path, body, raw, extraHeaders) {
  const headers = { ...(extraHeaders || {}) };
  if (token()) headers.Authorization = 'Bearer ' + token();
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch('play/api/' + path, { method, headers, body: payload });
  } catch (e) {
    throw new APIError(0, 'Could not reach redisgrade: is it still running? (' + e.message + ')');
  }
  if (!res.ok) {
    let msg = res.status + ' ' + res.statusText;
    try {
      const j = await res.json();
      if (j.error) msg = j.error;
    } catch (_) {
      /* not JSON: keep the status */
    }
    throw new APIError(res.status, msg);
  }
  return res;
}

async function apiJSON(method, path, body) {
  return (await api(method, path, body)).json();
}

// --- who is working. On a class server one browser may be shared by a
// class (a lab's machines): the page asks who is working, keeps the name for
// the tab only, and keeps each person's work apart under their name. It is
// not a password; it keeps the next student from finding the last one's work.
const person = {
  get: () => sessionStorage.getItem('redisgrade-person') || '',
  set: (name) => sessionStorage.setItem('redisgrade-person', name),
  clear: () => sessionStorage.removeItem('redisgrade-person'),
};

// --- storage in the browser, per exercise (and, on a class server, per person).
const store = {
  key: (ex, what) => 'redisgrade:v1:' + (catalog && catalog.shared ? 'person:' + encodeURIComponent(person.get()) + ':' : '') + ex + ':' + what,
  get(ex, what) {
    try {
      return JSON.parse(localStorage.getItem(this.key(ex, what)) || 'null');
    } catch (_) {
      return null;
    }
  },
  set(ex, what, v) {
    try {
      localStorage.setItem(this.key(ex, what), JSON.stringify(v));
      return true;
    } catch (e) {
      showAlert('This browser would not keep your work (' + e.message + '): download your submission to keep it.');
      return false;
    }
  },
  remove(ex, what) {
    localStorage.removeItem(this.key(ex, what));
  },
};

// --- routing: #/ is the catalog, #/ex/ID an exercise.
let catalog = null;
let current = null; // the exercise shown: {info, editors, ...}

window.addEventListener('hashchange', route);
window.addEventListener('beforeunload', (e) => {
  if (current && current.flushAll() === false) {
    e.preventDefault();
  }
});

async function route() {
  showAlert('');
  if (current) current.flushAll();
  current = null;
  const m = location.hash.match(/^#\/ex\/([^/]+)$/);
  try {
    if (!catalog) catalog = await apiJSON('GET', 'exercises');
    if (catalog.shared && !person.get()) return showPersonForm();
    if (m) await showExercise(decodeURIComponent(m[1]));
    else if (!location.hash && catalog.start) location.replace('#/ex/' + encodeURIComponent(catalog.start));
    else showCatalog();
  } catch (e) {
    if (e.status === 401) showTokenForm();
    else {
      main.replaceChildren(el('p', {}, 'The page could not load.'));
      showAlert(e.message);
    }
  }
}

function showTokenForm() {
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', required: true });
  const form = el(
    'form',
    {
      class: 'token',
      onsubmit: (e) => {
        e.preventDefault();
        sessionStorage.setItem('redisgrade-token', input.value.trim());
        route();
      },
    },
    el('h1', {}, 'This page needs its token'),
    el('p', {}, 'Open the address redisgrade printed (it ends in ?token=…), or paste the token your instructor gave you.'),
    el('label', { for: 'token' }, 'Token'),
    input,
    el('button', { type: 'submit' }, 'Open')
  );
  main.replaceChildren(form);
  input.focus();
}

function showPersonForm() {
  const input = el('input', { id: 'person', type: 'text', autocomplete: 'off', required: true, maxlength: 100 });
  const form = el(
    'form',
    {
      class: 'token',
      onsubmit: (e) => {
        e.preventDefault();
        person.set(input.value.trim());
        route();
      },
    },
    el('h1', {}, 'Who is working?'),
    el(
      'p',
      {},
      'This page is shared: your work is kept in this browser under the name you give, apart from anyone else\'s, until you close the tab. It is not a password: hand your work in with "Download my submission (.zip)".'
    ),
    el('label', { for: 'person' }, 'Your name or student id'),
    input,
    el('button', { type: 'submit' }, 'Start')
  );
  main.replaceChildren(form);
  input.focus();
}

// switchPerson saves what waits, forgets who is working, and asks again.
function switchPerson() {
  if (current) current.flushAll();
  current = null;
  person.clear();
  showPersonForm();
}

function showCatalog() {
  document.title = 'Exercises · redisgrade';
  const list = el('ul', { class: 'catalog' });
  for (const ex of catalog.exercises) {
    list.append(
      el(
        'li',
        {},
        el('h2', {}, el('a', { href: '#/ex/' + encodeURIComponent(ex.id) }, ex.title)),
        el('p', {}, ex.summary || ''),
        el('p', { class: 'meta' }, ex.steps + ' steps · about ' + ex.minutes + ' min' + (catalog.workspace === ex.id ? ' · your workspace' : ''))
      )
    );
  }
  main.replaceChildren(el('h1', {}, 'Redis exercises'), list);
  main.focus();
}

// --- an exercise.
async function showExercise(id) {
  const info = await apiJSON('GET', 'exercises/' + encodeURIComponent(id));
  document.title = info.title + ' · redisgrade';
  const ex = new ExerciseView(info);
  current = ex;
  main.replaceChildren(ex.root);
  ex.mount();
  main.focus();
}

function languageFor(step) {
  return StreamLanguage.define(step.lua ? lua : redis);
}

class ExerciseView {
  constructor(info) {
    this.info = info;
    this.workspace = info.storage === 'workspace';
    this.steps = [];
    this.hintsSeen = this.workspace ? info.hints_seen || {} : store.get(info.id, 'hints') || {};
    this.checking = false;

    // In a workspace the browser holds only what the folder may lack yet:
    // {file: {text, base}}, base being the version the text was written over.
    const saved = this.workspace ? store.get(info.id, 'unsaved') || {} : store.get(info.id, 'files') || {};
    this.progressLabel = el('span', { id: 'progress-label' });
    this.progressBar = el('progress', { max: info.steps.length, value: 0, 'aria-labelledby': 'progress-label' });
    this.score = el('p', { class: 'score', role: 'status' });
    this.checkButton = el('button', { type: 'button', class: 'primary', onclick: () => this.check() }, 'Check');
    const where = this.workspace
      ? el('p', { class: 'where' }, 'Your work is saved in ', el('code', {}, info.folder), ': the same files redisgrade check reads.')
      : catalog && catalog.shared
        ? el(
            'p',
            { class: 'where' },
            'Your work is kept in this browser under ',
            el('strong', {}, person.get()),
            '. To hand it in, download it. ',
            el('button', { type: 'button', class: 'link', onclick: switchPerson }, 'Not ' + person.get() + '? Switch')
          )
        : el('p', { class: 'where' }, 'Your work is kept in this browser. To hand it in, download it.');
    const tools = el(
      'div',
      { class: 'tools' },
      this.checkButton,
      el('span', { class: 'keys' }, 'or Ctrl-Enter in an editor'),
      el('button', { type: 'button', onclick: () => this.download() }, 'Download my submission (.zip)')
    );
    const stepList = el('ol', { class: 'steps' });
    info.steps.forEach((step, i) => {
      let sv;
      if (this.workspace) {
        const disk = info.files[step.file];
        const kept = saved[step.file];
        if (kept && typeof kept.text === 'string' && kept.text !== disk) {
          // An edit this browser kept that the folder lacks: saved once
          // mounted, unless the file changed on disk meanwhile.
          sv = new StepView(this, step, i, kept.text, { pending: true, conflict: kept.base !== info.versions[step.file], version: kept.base });
        } else {
          sv = new StepView(this, step, i, disk, { version: info.versions[step.file] });
        }
      } else {
        sv = new StepView(this, step, i, saved[step.file] ?? step.starter, {});
      }
      this.steps.push(sv);
      stepList.append(sv.root);
    });
    this.root = el(
      'article',
      { class: 'exercise' },
      el('p', { class: 'crumbs' }, el('a', { href: '#/' }, 'All exercises')),
      el('h1', {}, info.title),
      el('section', { class: 'scenario', 'aria-label': 'Scenario' }, el('h2', {}, 'Scenario'), el('p', {}, info.summary || '')),
      el('div', { class: 'progress' }, this.progressLabel, this.progressBar),
      where,
      tools,
      this.score,
      info.can_grade ? null : el('p', { class: 'error' }, 'This server does not grade itself: Check is not available here.'),
      stepList,
      info.demo ? new DemoView(info).root : null
    );
    if (!info.can_grade) this.checkButton.disabled = true;
    this.setProgress(0);
  }

  mount() {
    for (const s of this.steps) s.mount();
    for (const s of this.steps) {
      if (s.conflict) s.showConflict(s.step.file + ' was changed outside this page since this browser kept your last edit.');
      else if (s.pending) s.save();
    }
    // Work already there is graded at once, so that the progress shown is
    // the work's, not 0.
    if (this.info.can_grade && !this.steps.some((s) => s.conflict) && this.steps.some((s) => s.text() !== s.step.starter)) this.check();
  }

  setProgress(done) {
    this.progressLabel.textContent = 'Progress ' + done + ' / ' + this.info.steps.length + ' steps';
    this.progressBar.value = done;
  }

  files() {
    const out = {};
    for (const s of this.steps) out[s.step.file] = s.text();
    return out;
  }

  // flushAll saves what is waiting; false when something is not saved yet.
  flushAll() {
    let ok = true;
    for (const s of this.steps) if (s.flush() === false) ok = false;
    return ok;
  }

  keepInBrowser(what, v) {
    store.set(this.info.id, what, v);
  }

  async check() {
    if (this.checking || !this.info.can_grade) return;
    this.checking = true;
    this.checkButton.disabled = true;
    this.checkButton.textContent = 'Checking…';
    this.score.textContent = 'Checking…';
    showAlert('');
    try {
      let body = { files: this.files() };
      let sent = this.steps;
      if (this.workspace) {
        // Only the edits the folder lacks are sent, each naming the version
        // it replaces; the folder is graded, as check grades it.
        const inConflict = this.steps.find((s) => s.conflict);
        if (inConflict) throw new Error(inConflict.step.file + ' changed outside this page: choose which version to keep first.');
        sent = this.steps.filter((s) => s.pending);
        body = { files: {}, versions: {} };
        for (const s of sent) {
          body.files[s.step.file] = s.text();
          body.versions[s.step.file] = s.version;
        }
      }
      const res = await apiJSON('POST', 'exercises/' + encodeURIComponent(this.info.id) + '/grade', body);
      for (const s of sent) s.savedNow(res.versions && res.versions[s.step.file]);
      if (this.workspace) await this.refreshChanged(res.versions || {});
      this.showReport(res.report, res.untouched || []);
    } catch (e) {
      this.score.textContent = 'Not checked.';
      showAlert(e.message);
      if (e.status === 409) {
        const s = this.steps.find((s) => e.message.startsWith(s.step.file + ' '));
        if (s) s.showConflict(e.message);
      }
    } finally {
      this.checking = false;
      this.checkButton.disabled = false;
      this.checkButton.textContent = 'Check';
    }
  }

  // refreshChanged shows the folder's text of the steps changed on disk
  // that the page has no edit of (graded as they are on disk).
  async refreshChanged(versions) {
    const stale = this.steps.filter((s) => !s.pending && versions[s.step.file] && versions[s.step.file] !== s.version);
    if (!stale.length) return;
    const info = await apiJSON('GET', 'exercises/' + encodeURIComponent(this.info.id));
    for (const s of stale) s.replaceText(info.files[s.step.file], info.versions[s.step.file]);
  }

  showReport(rep, untouched) {
    let done = 0;
    let first = -1;
    rep.steps.forEach((r, i) => {
      if (r.passed) done++;
      else if (first < 0 && !r.not_gradable) first = i;
    });
    this.setProgress(done);
    const msg =
      first < 0 && rep.steps.every((s) => s.passed)
        ? 'Score: ' + rep.score + '/' + rep.max_score + ' · every step done!'
        : 'Score: ' + rep.score + '/' + rep.max_score + ' · ' + (rep.steps.length - done) + ' of ' + rep.steps.length + ' steps not done yet';
    this.score.textContent = msg;
    announce(msg);
    rep.steps.forEach((r, i) => {
      const sv = this.steps[i];
      if (sv) sv.showResult(r, untouched.includes(r.file), i === first);
    });
    if (first >= 0) this.steps[first].reveal();
  }

  async download() {
    showAlert('');
    try {
      const res = await api('POST', 'exercises/' + encodeURIComponent(this.info.id) + '/zip', { files: this.files() });
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: this.info.id + '.zip' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      showAlert('Could not make the .zip: ' + e.message);
    }
  }
}

class StepView {
  constructor(ex, step, index, text, { pending = false, conflict = false, version = '' }) {
    this.ex = ex;
    this.step = step;
    this.index = index;
    this.initial = text;
    this.pending = pending; // a workspace edit this browser holds that the folder may lack
    this.conflict = conflict; // the file changed on disk under that edit
    this.version = version; // the folder's version the page last read or wrote
    this.replacing = false;
    this.timer = null;
    const n = index + 1;
    this.mark = el('span', { class: 'mark', 'aria-hidden': 'true' }, String(n));
    this.verdict = el('span', { class: 'visually-hidden' }, '');
    this.summary = el('summary', {}, this.mark, el('span', { class: 'title' }, 'Step ' + n + ': ' + step.title), this.verdict);
    this.saveState = el('span', { class: 'save' }); // errors are announced, not every keystroke's state
    this.conflictText = el('p', {});
    this.conflictBox = el(
      'div',
      { class: 'conflict', role: 'alert', hidden: true },
      this.conflictText,
      el('button', { type: 'button', onclick: () => this.keepMine() }, 'Keep mine (replace the file)'),
      ' ',
      el('button', { type: 'button', onclick: () => this.useDisk() }, 'Use the file on disk (drop my edit)')
    );
    this.editorBox = el('div', { class: 'editor' });
    this.feedback = el('div', { class: 'feedback' });
    this.hintList = el('ol', { class: 'hints', 'aria-live': 'polite' });
    this.hintNote = el('p', { class: 'hint-note' });
    this.hintButton = el('button', { type: 'button', class: 'hint', 'aria-expanded': 'false', onclick: () => this.hint() }, 'Need a hint?');
    this.details = el(
      'details',
      { open: true },
      this.summary,
      el('p', { class: 'task' }, step.task),
      el('div', { class: 'file' }, el('span', { class: 'filename', id: 'file-' + step.id }, step.file), this.saveState),
      this.conflictBox,
      this.editorBox,
      this.feedback,
      el('div', { class: 'hintbox' }, this.hintButton, this.hintList, this.hintNote)
    );
    this.details.addEventListener('toggle', () => this.view && this.view.requestMeasure());
    this.root = el('li', { class: 'step', id: 'step-' + step.id }, this.details);
    const seen = ex.hintsSeen[step.id] || 0;
    if (step.hints === 0) this.hintButton.hidden = true;
    else if (seen > 0) this.hintNote.textContent = 'Hints seen: ' + Math.min(seen, step.hints) + ' of ' + step.hints + '.';
  }

  mount() {
    const checkKey = { key: 'Mod-Enter', run: () => (this.ex.check(), true) };
    this.view = new EditorView({
      parent: this.editorBox,
      state: EditorState.create({
        doc: this.initial,
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          bracketMatching(),
          languageFor(this.step),
          syntaxHighlighting(defaultHighlightStyle),
          keymap.of([checkKey, ...defaultKeymap, ...historyKeymap]),
          EditorView.contentAttributes.of({ 'aria-label': this.step.file, 'aria-describedby': 'file-' + this.step.id }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) this.changed();
          }),
        ],
      }),
    });
  }

  text() {
    return this.view ? this.view.state.doc.toString() : this.initial;
  }

  changed() {
    if (this.replacing) return;
    this.setSave('Not saved yet', 'pending');
    if (this.ex.workspace) {
      // Kept in the browser too until the folder has it: nothing typed is lost.
      const unsaved = store.get(this.ex.info.id, 'unsaved') || {};
      unsaved[this.step.file] = { text: this.text(), base: this.version };
      this.ex.keepInBrowser('unsaved', unsaved);
      this.pending = true;
      clearTimeout(this.timer);
      if (!this.conflict) this.timer = setTimeout(() => this.save(), 500);
    } else {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), 200);
    }
  }

  // flush saves now what waits; false when it cannot be saved at once.
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.ex.workspace) {
      const files = store.get(this.ex.info.id, 'files') || {};
      files[this.step.file] = this.text();
      if (store.set(this.ex.info.id, 'files', files)) this.setSave('Saved in this browser', 'ok');
      return true;
    }
    if (this.pending) {
      if (!this.conflict) this.save();
      return false;
    }
    return true;
  }

  async save(force) {
    if (!this.ex.workspace) return this.flush();
    if (this.conflict && !force) return;
    clearTimeout(this.timer);
    const text = this.text();
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > this.ex.info.max_file_size) {
      this.setSave(this.step.file + ' is ' + bytes + ' bytes, over the 1 MiB a step file may hold: not saved (it is kept in this browser)', 'error');
      return;
    }
    this.setSave('Saving…', 'pending');
    try {
      const res = await api(
        'PUT',
        'exercises/' + encodeURIComponent(this.ex.info.id) + '/files/' + encodeURIComponent(this.step.file),
        undefined,
        text,
        force ? {} : { 'If-Match': '"' + this.version + '"' }
      );
      const { version } = await res.json();
      this.version = version;
      this.hideConflict();
      if (this.text() === text) this.savedNow(version);
      else this.changed(); // typed on meanwhile: that is saved next, over this version
    } catch (e) {
      if (e.status === 409) this.showConflict(e.message);
      else this.setSave('Not saved: ' + e.message + ' (your text is kept in this browser)', 'error');
    }
  }

  showConflict(msg) {
    this.conflict = true;
    this.conflictText.textContent = msg + ' Your text is kept in this browser until you choose.';
    this.conflictBox.hidden = false;
    this.details.open = true;
    this.setSave('Not saved: changed on disk', 'error');
  }

  hideConflict() {
    this.conflict = false;
    this.conflictBox.hidden = true;
  }

  keepMine() {
    this.hideConflict();
    this.save(true);
  }

  async useDisk() {
    try {
      const info = await apiJSON('GET', 'exercises/' + encodeURIComponent(this.ex.info.id));
      this.hideConflict();
      this.replaceText(info.files[this.step.file], info.versions[this.step.file]);
      this.savedNow(info.versions[this.step.file]);
    } catch (e) {
      showAlert('Could not read ' + this.step.file + ': ' + e.message);
    }
  }

  // replaceText shows the folder's text (no edit of the page's is pending).
  replaceText(text, version) {
    this.version = version;
    if (text === this.text()) return;
    this.replacing = true;
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
    this.replacing = false;
  }

  // savedNow marks the step's text as in the folder (saved, or sent with Check).
  savedNow(version) {
    if (!this.ex.workspace) return this.flush();
    if (version) this.version = version;
    this.pending = false;
    const unsaved = store.get(this.ex.info.id, 'unsaved') || {};
    delete unsaved[this.step.file];
    if (Object.keys(unsaved).length) this.ex.keepInBrowser('unsaved', unsaved);
    else store.remove(this.ex.info.id, 'unsaved');
    this.setSave('Saved to ' + this.step.file, 'ok');
  }

  setSave(msg, kind) {
    this.saveState.textContent = msg;
    this.saveState.className = 'save ' + kind;
    if (kind === 'error') announce(msg);
  }

  reveal() {
    this.details.open = true;
    this.root.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }

  async hint() {
    const seen = this.ex.hintsSeen[this.step.id] || 0;
    try {
      const res = await apiJSON('POST', 'exercises/' + encodeURIComponent(this.ex.info.id) + '/hint', {
        step: this.step.id,
        seen,
      });
      this.ex.hintsSeen[this.step.id] = res.hints.length;
      if (!this.ex.workspace) this.ex.keepInBrowser('hints', this.ex.hintsSeen);
      this.hintList.replaceChildren(
        ...res.hints.map((h, i) =>
          el('li', { class: i === res.hints.length - 1 && res.fresh ? 'new' : '' }, el('strong', {}, 'Hint ' + (i + 1) + ' of ' + res.total + ': '), h)
        )
      );
      const left = res.total - res.hints.length;
      this.hintNote.textContent = !res.fresh
        ? 'No more hints for this step: you have seen all ' + res.total + '.'
        : left > 0
          ? 'Still stuck? Ask again for the next one (' + left + ' more).'
          : 'That is every hint for this step.';
      this.hintButton.textContent = left > 0 ? 'Another hint' : 'Need a hint?';
      this.hintButton.setAttribute('aria-expanded', 'true');
    } catch (e) {
      showAlert('No hint: ' + e.message);
    }
  }

  showResult(r, untouched, isFirst) {
    this.root.classList.toggle('passed', r.passed);
    this.root.classList.toggle('failed', !r.passed && !r.not_gradable);
    this.mark.textContent = r.passed ? '✔' : r.not_gradable ? '–' : '✘';
    this.verdict.textContent = r.passed ? ' (done)' : r.not_gradable ? ' (not graded on this engine)' : ' (not done yet)';
    if (r.passed) this.details.open = false;
    else if (isFirst) this.details.open = true;
    this.feedback.replaceChildren(...feedbackFor(r, untouched, this.step));
  }
}

// feedbackFor is check's teaching feedback for one step: the failing checks
// of the first case that failed, with expected and actual, the whys, the
// keys the commands left, the named mistake.
function feedbackFor(r, untouched, step) {
  if (r.passed) return [el('p', { class: 'ok' }, '✔ Done: ' + r.checks.length + (r.checks.length === 1 ? ' check passes.' : ' checks pass.'))];
  if (r.not_gradable) return [el('p', { class: 'note' }, r.note || 'This step cannot be graded on this engine.')];
  const out = [];
  if (untouched) {
    out.push(
      el('p', { class: 'todo' }, '→ ' + r.file + ' holds only comments so far: write your ' + (step.lua ? 'script' : 'commands') + ' below them, then Check.')
    );
    return out;
  }
  let firstLabel = null;
  const others = [];
  const failing = [];
  for (const c of r.checks) {
    if (c.passed) continue;
    const label = c.case || '';
    if (firstLabel === null) firstLabel = label;
    if (label === firstLabel) failing.push(c);
    else if (!others.includes(label)) others.push(label);
  }
  if (r.mistake && r.mistake.name) {
    out.push(
      el(
        'div',
        { class: 'mistake', role: 'note' },
        el('strong', {}, 'This looks like a known mistake: ' + r.mistake.name + '.'),
        ' ',
        r.mistake.feedback || ''
      )
    );
  }
  if (firstLabel) out.push(el('p', {}, 'Starting from ', el('strong', {}, firstLabel), ':'));
  const list = el('ul', { class: 'checks' });
  const whys = [];
  for (const c of failing) {
    const item = el('li', {}, el('span', { class: 'cross', 'aria-hidden': 'true' }, '✘ '), el('span', { class: 'check-name' }, c.name));
    if (c.message) item.append(el('pre', { class: 'message' }, c.message));
    if ((c.expected || c.actual) && !(c.message || '').includes(c.expected)) {
      item.append(
        el('dl', { class: 'diff' }, el('dt', {}, 'expected'), el('dd', {}, el('code', {}, c.expected || '')), el('dt', {}, 'actual'), el('dd', {}, el('code', {}, c.actual || '')))
      );
    }
    if (c.why && !whys.includes(c.why)) whys.push(c.why);
    list.append(item);
  }
  out.push(list);
  for (const why of whys) out.push(el('p', { class: 'why' }, el('strong', {}, 'Why: '), why));
  if (r.keyspace) out.push(el('p', { class: 'left' }, 'What your commands left in Redis:'), el('pre', { class: 'keyspace' }, r.keyspace));
  if (others.length) out.push(el('p', { class: 'note' }, 'Also failing when starting from ' + others.join(', ') + '.'));
  if (r.note) out.push(el('p', { class: 'note' }, 'Note: ' + r.note));
  return out;
}

// --- the race demo, drawn live.
class DemoView {
  constructor(info) {
    this.info = info;
    this.button = el('button', { type: 'button', onclick: () => this.run() }, 'Run the demo');
    this.intro = el('p', {}, 'Sell units from many clients at once, three ways, while one more client reads stock and sales all along. Without Lua, some reads catch them half-updated, and some sales are lost.');
    this.chart = el('div', { class: 'chart', 'aria-live': 'polite' });
    this.result = el('div', { class: 'demo-result' });
    this.root = el(
      'section',
      { class: 'demo', id: 'demo', 'aria-labelledby': 'demo-title' },
      el('h2', { id: 'demo-title' }, 'See it in action'),
      this.intro,
      this.button,
      this.chart,
      this.result
    );
  }

  async run() {
    this.button.disabled = true;
    this.button.textContent = 'Running…';
    this.chart.replaceChildren();
    this.result.replaceChildren();
    this.rows = [];
    try {
      const res = await api('POST', 'exercises/' + encodeURIComponent(this.info.id) + '/demo', {});
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) this.event(JSON.parse(line));
        }
      }
    } catch (e) {
      this.result.replaceChildren(el('p', { class: 'error' }, 'The demo could not run: ' + e.message));
    } finally {
      this.button.disabled = false;
      this.button.textContent = 'Run the demo again';
    }
  }

  event(e) {
    switch (e.type) {
      case 'start':
        this.start = e;
        this.results = [];
        for (const name of e.ways) {
          const row = {
            runs: el('progress', { max: e.runs, value: 0, 'aria-label': name + ': units sold' }),
            reads: el('div', { class: 'bar reads' }),
            lost: el('div', { class: 'bar lost' }),
            text: el('span', { class: 'count' }, ''),
          };
          this.rows.push(row);
          this.chart.append(
            el(
              'div',
              { class: 'way' },
              el('span', { class: 'way-name' }, name),
              row.runs,
              el('div', { class: 'bars', 'aria-hidden': 'true' }, row.reads, row.lost),
              row.text
            )
          );
        }
        this.chart.append(el('p', { class: 'legend' }, el('span', { class: 'key reads' }, ''), ' inconsistent reads  ', el('span', { class: 'key lost' }, ''), ' lost updates'));
        break;
      case 'progress':
      case 'done': {
        const row = this.rows[e.way];
        row.runs.value = e.done;
        const samples = Math.max(1, e.samples);
        row.reads.style.width = Math.round((100 * e.inconsistent) / samples) + '%';
        row.lost.style.width = Math.round((100 * (e.lost || 0)) / this.start.runs) + '%';
        row.text.textContent =
          e.done + '/' + this.start.runs + ' sold · ' + e.inconsistent + ' of ' + e.samples + ' reads inconsistent' + (e.type === 'done' ? ' · ' + e.lost + ' updates lost' : '');
        if (e.type === 'done') this.results[e.way] = e;
        break;
      }
      case 'summary':
        this.summary(e);
        break;
      case 'error':
        this.result.append(el('p', { class: 'error' }, 'The demo stopped: ' + e.error));
        break;
    }
  }

  summary(e) {
    const head = el('tr', {}, ...['way', 'runs', 'samples', 'inconsistent reads', 'lost updates', 'final stock', 'final sales'].map((h) => el('th', { scope: 'col' }, h)));
    const body = el('tbody');
    this.start.ways.forEach((name, i) => {
      const r = this.results[i] || {};
      const f = r.final || [];
      body.append(
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, name),
          el('td', {}, String(r.done ?? '?')),
          el('td', {}, String(r.samples ?? '?')),
          el('td', { class: r.inconsistent ? 'bad' : 'good' }, String(r.inconsistent ?? '?')),
          el('td', { class: r.lost ? 'bad' : 'good' }, String(r.lost ?? '?')),
          el('td', {}, String(f[0] ?? '?')),
          el('td', {}, String(f[1] ?? '?'))
        )
      );
    });
    this.result.replaceChildren(
      el('table', {}, el('caption', {}, 'What each way did'), el('thead', {}, head), body),
      el('p', { class: 'expect' }, e.expect),
      el('p', { class: 'why' }, e.why)
    );
    announce('The demo is done.');
  }
}

route();
