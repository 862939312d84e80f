// The page: hands the URL to the worker, which does all the work, and renders
// what it sends back. Nothing here touches the network or the core.
//
// ?url=<repository> prefills the form and starts at once.

const $ = (sel) => document.querySelector(sel);
const status = $('#status');

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
  status.className = state === 'error' ? 'error' : '';
}

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  for (const c of children) e.append(c);
  return e;
}

function renderLog(commits) {
  const body = $('#log tbody');
  body.replaceChildren();
  for (const c of commits) {
    const row = el('tr', {}, el('td', { className: 'oid', title: c.oid, textContent: c.oid.slice(0, 12) }),
      el('td', { textContent: c.subject }), el('td', { textContent: c.author }),
      el('td', { textContent: new Date(c.time * 1000).toISOString().slice(0, 16).replace('T', ' ') }));
    row.dataset.oid = c.oid;
    body.append(row);
  }
}

function renderTree(entries) {
  // entries are full paths (git ls-tree -r order); nest them by directory.
  const root = el('ul', { className: 'tree' });
  const dirs = new Map([['', root]]);
  const dirList = (path) => {
    if (dirs.has(path)) return dirs.get(path);
    const cut = path.lastIndexOf('/');
    const parent = dirList(cut < 0 ? '' : path.slice(0, cut));
    const ul = el('ul', { className: 'tree' });
    parent.append(el('li', { className: 'dir' }, el('strong', { textContent: `${path.slice(cut + 1)}/` }), ul));
    dirs.set(path, ul);
    return ul;
  };
  for (const e of entries) {
    const cut = e.path.lastIndexOf('/');
    const kind = e.mode === '120000' ? ' (symlink)' : e.mode === '160000' ? ' (submodule)' : e.mode === '100755' ? ' (executable)' : '';
    const li = el('li', { textContent: `${e.path.slice(cut + 1)}${kind}`, title: e.oid });
    Object.assign(li.dataset, { path: e.path, oid: e.oid, mode: e.mode });
    dirList(cut < 0 ? '' : e.path.slice(0, cut)).append(li);
  }
  $('#tree').replaceChildren(root);
}

let worker = null;

function clone(url) {
  worker?.terminate();
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  setStatus(`Cloning ${url}…`, 'running');
  worker.onmessage = ({ data: m }) => {
    if (m.type === 'status') setStatus(m.text, 'running');
    else if (m.type === 'error') setStatus(`Error: ${m.message}`, 'error');
    else if (m.type === 'done') {
      renderLog(m.commits);
      renderTree(m.tree);
      document.body.dataset.head = m.head;
      setStatus(`Cloned ${url}: ${m.branch ?? 'detached HEAD'} at ${m.head}, pack of ${m.objects} objects ` +
        `(${(m.packBytes / 1024).toFixed(1)} KiB) indexed in ${m.indexMs.toFixed(0)} ms; ${m.commits.length} commits shown.`, 'done');
    }
  };
  worker.onerror = (e) => setStatus(`Error: ${e.message}`, 'error');
  worker.postMessage({ type: 'clone', url });
}

$('#clone').addEventListener('submit', (e) => {
  e.preventDefault();
  clone($('#url').value);
});

const preset = new URLSearchParams(location.search).get('url');
if (preset) {
  $('#url').value = preset;
  clone(preset);
}
