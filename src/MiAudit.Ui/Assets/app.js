// MiAudit UI. Captured data only ever enters the page as text (textContent, option text, element values):
// never innerHTML, never a URL that is followed. The Content-Security-Policy forbids inline script and eval besides.
'use strict';

const FILTERS = ['q', 'session', 'host', 'site', 'rule', 'category', 'severity', 'method', 'status', 'since', 'until'];
const state = { latest: 0, oldest: null, selected: null };
const $ = (selector) => document.querySelector(selector);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function params() {
  const url = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const name of FILTERS) for (const value of url.getAll(name)) if (value) out.append(name, value);
  return out;
}

async function api(path, query) {
  const response = await fetch(path + (query && query.toString() ? '?' + query : ''), { credentials: 'same-origin' });
  if (!response.ok) throw new Error((await response.text()) || response.statusText);
  return response.json();
}

function formFromUrl() {
  const form = $('#filters');
  const url = params();
  for (const name of FILTERS) if (form.elements[name]) form.elements[name].value = url.get(name) || '';
}

function formToUrl() {
  const form = $('#filters');
  const query = new URLSearchParams();
  for (const name of FILTERS) if (form.elements[name] && form.elements[name].value.trim()) query.set(name, form.elements[name].value.trim());
  const flow = new URLSearchParams(location.search).get('flow');
  if (flow) query.set('flow', flow);
  history.pushState(null, '', '?' + query);
}

function size(bytes) {
  return bytes < 1024 ? bytes + ' B' : bytes < 1048576 ? (bytes / 1024).toFixed(1) + ' KiB' : (bytes / 1048576).toFixed(1) + ' MiB';
}

function row(flow) {
  const tr = el('tr');
  tr.dataset.id = flow.id;
  const url = new URL(flow.url);
  const notDecrypted = flow.transport === 'PassthroughTls' || flow.transport === 'OpaqueTcp' || flow.error === 'client-tls-handshake';
  for (const text of [flow.time.replace('T', ' ').replace('Z', ''), flow.session, flow.client, flow.method, flow.host,
    notDecrypted ? '(not decrypted)' : url.pathname + url.search, flow.status ?? '', size(flow.size)]) {
    tr.append(el('td', text));
  }
  const flags = el('td');
  if (flow.severity) flags.append(el('span', flow.severity, 'flag sev-' + flow.severity));
  for (const category of flow.categories) flags.append(el('span', category, 'flag'));
  if (flow.error) flags.append(el('span', flow.error, 'flag'));
  tr.append(flags);
  if (notDecrypted) tr.classList.add('notdecrypted');
  if (String(flow.id) === state.selected) tr.classList.add('selected');
  tr.addEventListener('click', () => select(String(flow.id)));
  return tr;
}

// Flows are stored in the order they finished; a long upload stored after a later page load still goes where its
// start time puts it.
function insertByTime(tbody, tr, time) {
  tr.dataset.time = time;
  for (const other of tbody.children) {
    if (other.dataset.time < time) { tbody.insertBefore(tr, other); return; }
  }
  tbody.append(tr);
}

async function load() {
  const tbody = $('#flows tbody');
  tbody.replaceChildren();
  state.oldest = null;
  await page(params(), false);
}

async function page(query, older) {
  const data = await api('/api/flows', query);
  const tbody = $('#flows tbody');
  for (const flow of data.flows) {
    const tr = row(flow);
    if (older) { tr.dataset.time = flow.time; tbody.append(tr); } else insertByTime(tbody, tr, flow.time);
  }
  state.latest = Math.max(state.latest, data.latest);
  state.oldest = data.before ?? null;
  const searching = params().get('q');
  $('#older').hidden = state.oldest === null;
  $('#older').textContent = searching ? 'Search further back' : 'Older flows';
  $('#notice').textContent = searching
    ? `${tbody.children.length} flows whose request holds “${searching}” (decoded layers included)` + (data.scanned ? `; searched ${data.scanned} flows${state.oldest ? ', more further back' : ''}` : '')
    : tbody.children.length === 0 && !older ? 'No flows yet: they appear here as the proxy stores them.' : '';
}

async function arrived(latest) {
  if (latest <= state.latest) return;
  if (params().get('q')) {
    $('#notice').textContent = 'New flows arrived: apply the search again to include them.';
    state.latest = latest;
    return;
  }
  const query = params();
  query.set('after', state.latest);
  query.set('limit', '500');
  const data = await api('/api/flows', query);
  const tbody = $('#flows tbody');
  for (const flow of data.flows.reverse()) {
    const tr = row(flow);
    tr.classList.add('fresh');
    insertByTime(tbody, tr, flow.time);
  }
  state.latest = Math.max(state.latest, latest);
  if (tbody.children.length) $('#notice').textContent = '';
}

function live() {
  const indicator = $('#live');
  const source = new EventSource('/api/events');
  source.addEventListener('open', () => { indicator.textContent = '● live'; indicator.className = 'on'; });
  source.addEventListener('error', () => { indicator.textContent = '○ reconnecting'; indicator.className = ''; });
  source.addEventListener('flows', (event) => arrived(Number(event.data)).catch(showError));
}

function table(pairs) {
  const t = el('table');
  for (const [name, value] of pairs) {
    const tr = el('tr');
    tr.append(el('td', name), el('td', value));
    t.append(tr);
  }
  return t;
}

function body(title, content) {
  const section = el('div');
  section.append(el('h3', `${title} (${size(content.size)}${content.truncated ? ', cut' : ''})`));
  if (!content.base64) { section.append(el('p', content.size ? 'not kept' : 'empty', 'muted')); return section; }
  const views = { text: content.text ?? '(not UTF-8: see hex)', hex: hex(content.base64), json: json(content.text) };
  const pre = el('pre', views.text);
  const tabs = el('div', null, 'tabs');
  for (const name of Object.keys(views)) {
    if (name === 'json' && views.json === null) continue;
    const button = el('button', name);
    button.type = 'button';
    button.addEventListener('click', () => {
      pre.textContent = views[name];
      for (const b of tabs.children) b.classList.toggle('on', b === button);
    });
    tabs.append(button);
  }
  tabs.firstChild.classList.add('on');
  section.append(tabs, pre);
  return section;
}

function hex(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const lines = [];
  for (let i = 0; i < bytes.length && i < 65536; i += 16) {
    const chunk = Array.from(bytes.slice(i, i + 16));
    lines.push(i.toString(16).padStart(8, '0') + '  ' + chunk.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(48) + '  '
      + chunk.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join(''));
  }
  return lines.join('\n');
}

function json(text) {
  if (!text) return null;
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return null; }
}

async function select(id) {
  state.selected = id;
  for (const tr of $('#flows tbody').children) tr.classList.toggle('selected', tr.dataset.id === id);
  const query = new URLSearchParams(location.search);
  query.set('flow', id);
  history.replaceState(null, '', '?' + query);
  const flow = await api('/api/flows/' + encodeURIComponent(id));
  const detail = $('#detail');
  detail.replaceChildren();
  detail.hidden = false;
  detail.append(el('h2', `${flow.method} ${flow.url}`));
  detail.append(table([
    ['session', flow.session], ['time', flow.time + ' → ' + flow.completed], ['client', flow.client],
    ['HTTP', flow.httpVersion + (flow.upstreamHttpVersion ? ' (to the server: ' + flow.upstreamHttpVersion + ')' : '')],
    ['status', flow.status ?? '(none)'], ['transport', flow.transport + (flow.inProgress ? ', still running' : '')],
    ...(flow.tls ? [['TLS', [flow.tls.serverName, flow.tls.alpn, flow.tls.version].filter(Boolean).join(' · ')], ['JA4', flow.tls.fingerprint ?? '']] : []),
    ...(flow.error ? [['error', flow.error.kind + ': ' + flow.error.message]] : []),
  ]));

  detail.append(el('h3', `Findings (${flow.findings.length})`));
  for (const finding of flow.findings) {
    const p = el('p');
    p.append(el('span', finding.severity, 'flag sev-' + finding.severity), el('strong', finding.rule + ' '), el('span', finding.value));
    p.append(el('br'), el('span', finding.matchedAs + ' at ' + finding.leafPath, 'muted'));
    detail.append(p);
  }

  const hits = new Set(flow.findings.map((f) => f.leafPath));
  detail.append(el('h3', `Decoded values (${flow.leaves.length})`));
  const leaves = el('table');
  for (const leaf of flow.leaves) {
    const tr = el('tr');
    tr.append(el('td', leaf.path), el('td', leaf.text));
    if (hits.has(leaf.path)) tr.classList.add('hit');
    leaves.append(tr);
  }
  detail.append(leaves);

  detail.append(el('h3', 'Request headers'), table(flow.requestHeaders));
  if (flow.requestTrailers.length) detail.append(el('h3', 'Request trailers'), table(flow.requestTrailers));
  detail.append(body('Request body', flow.requestBody));
  detail.append(el('h3', 'Response headers'), table(flow.responseHeaders));
  if (flow.responseTrailers.length) detail.append(el('h3', 'Response trailers'), table(flow.responseTrailers));
  detail.append(body('Response body', flow.responseBody));
  if (flow.messages.length) {
    detail.append(el('h3', `WebSocket messages (${flow.messages.length})`));
    detail.append(table(flow.messages.map((m) => [`${m.direction} ${m.at.slice(11, 23)} op ${m.opcode}`, m.text ?? hex(m.base64)])));
  }

  const copy = el('button', 'Copy as curl');
  copy.type = 'button';
  const curl = el('pre', flow.curl);
  copy.addEventListener('click', () => navigator.clipboard.writeText(flow.curl).then(() => { copy.textContent = 'Copied'; }, () => { copy.textContent = 'Select the command below'; }));
  detail.append(el('h3', 'As curl'), copy, curl);
}

async function compare() {
  const data = await api('/api/compare');
  const head = el('tr');
  for (const title of ['leak', 'severity', 'site', 'matched as', ...data.sessions, 'distinct values']) head.append(el('th', title));
  $('#comparison thead').replaceChildren(head);
  const body = $('#comparison tbody');
  body.replaceChildren();
  for (const leak of data.leaks) {
    const tr = el('tr');
    const name = el('td', leak.title);
    if (leak.inEverySession) name.append(el('span', ' in every session', 'flag sev-high'));
    tr.append(name, el('td', leak.severity), el('td', leak.site), el('td', leak.matchedAs));
    for (const session of data.sessions) {
      const count = leak.findings[session] ?? 0;
      const cell = el('td');
      if (count) {
        const link = el('a', count);
        const query = new URLSearchParams({ session, rule: leak.rule, site: leak.site });
        link.href = '?' + query;
        cell.append(link);
      } else {
        cell.textContent = '–';
      }
      tr.append(cell);
    }
    tr.append(el('td', leak.distinctValues));
    body.append(tr);
  }
  if (!data.leaks.length) {
    const empty = el('tr');
    empty.append(el('td', 'No findings yet.'));
    body.append(empty);
  }
}

async function sessions() {
  const select = $('#filters').elements.session;
  for (const session of await api('/api/sessions')) {
    const option = el('option', `${session.label} (${session.flows} flows)`);
    option.value = session.label;
    select.append(option);
  }
}

function showError(error) {
  $('#notice').textContent = 'Error: ' + error.message;
}

async function start() {
  await sessions();
  formFromUrl();
  if (new URLSearchParams(location.search).get('view') === 'compare') {
    $('#list').hidden = true;
    $('#compare').hidden = false;
    await compare();
    return;
  }
  $('#filters').addEventListener('submit', (event) => { event.preventDefault(); formToUrl(); load().catch(showError); });
  $('#clear').addEventListener('click', () => { history.pushState(null, '', '?'); formFromUrl(); load().catch(showError); });
  $('#older').addEventListener('click', () => {
    const query = params();
    query.set('before', state.oldest);
    page(query, true).catch(showError);
  });
  window.addEventListener('popstate', () => { formFromUrl(); load().catch(showError); });
  await load();
  const flow = new URLSearchParams(location.search).get('flow');
  if (flow) await select(flow);
  live();
}

start().catch(showError);
