/**
 * imex's operator page: scenarios, their incomplete executions (IEs), one IE's detail, retry and
 * delete. Plain ES module, no framework and no build step. Every data call goes to the REST API
 * (`/api/v2`, docs/api.md) with `Authorization: Token <token>`; the token is typed once and kept
 * in localStorage. API strings only ever reach the page as text (textContent, attributes), never
 * as HTML.
 */

import { createAllIesView } from './all-ies.js';
import { createOperationsPanel } from './bulk-operations.js';
import { createFixPanel } from './fix.js';
import { $, api, confirmAction, el, filterChoices, json, say, sayError, statusBadge, time, TOKEN_KEY } from './ui.js';

const TEMPORAL_UI_KEY = 'imex.temporalUiUrl';
/** While an IE on screen is pending or in progress, the page refreshes itself this often. */
const POLL_MS = 1500;
const RESULTS = { 1: 'success', 2: 'warning', 3: 'error' };

const state = {
  /** @type {'scenarios' | 'all'} the view on screen: by scenario, or all IEs across scenarios (all-ies.js) */
  view: 'scenarios',
  scenarios: [],
  /** @type {{ id: number, name: string, dlqCount: number } | null} */
  scenario: null,
  /** @type {string | null} */
  dlqId: null,
  offset: 0,
  pollTimer: 0,
  /** After a retry the page polls for a while even before the IE's status changes. */
  pollUntil: 0,
  /** Each view drops answers older than its latest request. */
  seq: { scenarios: 0, dlqs: 0, detail: 0 },
};

// ---------------------------------------------------------------------------------------------
// Scenarios

async function loadScenarios() {
  const seq = ++state.seq.scenarios;
  try {
    const { scenarios } = await api('GET', '/scenarios?pg[limit]=1000');
    if (seq !== state.seq.scenarios) return;
    state.scenarios = scenarios;
    renderScenarios();
  } catch (error) {
    if (seq === state.seq.scenarios) sayError('Could not list scenarios', error);
  }
}

function renderScenarios() {
  const rows = state.scenarios.map((scenario) => {
    const selected = state.scenario?.id === scenario.id;
    const pick = el(
      'button',
      { type: 'button', className: 'link', onclick: () => selectScenario(scenario.id) },
      scenario.name,
    );
    pick.setAttribute('aria-pressed', String(selected));
    return el(
      'tr',
      { className: selected ? 'selected' : '' },
      el('td', {}, pick, el('span', { className: 'muted id' }, ` #${scenario.id}`)),
      el('td', {}, scenario.isActive ? 'yes' : 'no'),
      el('td', { className: scenario.dlqCount > 0 ? 'num attention' : 'num' }, scenario.dlqCount),
    );
  });
  $('scenario-rows').replaceChildren(...rows);
  const empty = $('scenarios-empty');
  empty.hidden = rows.length > 0;
  empty.textContent = localStorage.getItem(TOKEN_KEY)
    ? 'This organization has no scenarios.'
    : 'Enter an API token to list your scenarios.';
  if (state.scenario) {
    const fresh = state.scenarios.find((s) => s.id === state.scenario.id);
    if (fresh) state.scenario = fresh;
  }
}

function selectScenario(id) {
  state.scenario = state.scenarios.find((s) => s.id === id) ?? { id, name: `scenario ${id}`, dlqCount: 0 };
  state.offset = 0;
  closeDetail();
  renderScenarios();
  $('dlqs').hidden = false;
  $('dlqs-heading').textContent = `Incomplete executions of ${state.scenario.name}`;
  writeHash();
  void loadDlqs();
}

// ---------------------------------------------------------------------------------------------
// Incomplete executions of the selected scenario

function pageSize() {
  return Number(/** @type {HTMLSelectElement} */ ($('page-size')).value);
}

async function loadDlqs() {
  if (!state.scenario) return;
  const seq = ++state.seq.dlqs;
  const query = new URLSearchParams({
    scenarioId: String(state.scenario.id),
    'pg[offset]': String(state.offset),
    'pg[limit]': String(pageSize()),
  });
  const status = /** @type {HTMLSelectElement} */ ($('filter-status')).value;
  const errorType = /** @type {HTMLSelectElement} */ ($('filter-error-type')).value;
  if (status) query.set('status', status);
  if (errorType) query.set('errorType', errorType);
  try {
    const { dlqs } = await api('GET', `/dlqs?${query}`);
    if (seq !== state.seq.dlqs) return;
    renderDlqs(dlqs);
  } catch (error) {
    if (seq === state.seq.dlqs) sayError('Could not list incomplete executions', error);
  }
}

function renderDlqs(dlqs) {
  const rows = dlqs.map((dlq) => {
    const open = el(
      'button',
      { type: 'button', className: 'link mono', title: dlq.id, onclick: () => openDetail(dlq.id) },
      dlq.id.slice(0, 12),
    );
    open.setAttribute('aria-label', `Open incomplete execution ${dlq.id}`);
    return el(
      'tr',
      { className: dlq.id === state.dlqId ? 'selected' : '', dataset: { dlqId: dlq.id } },
      el('td', {}, open, el('div', { className: 'reason-cell', title: dlq.reason }, dlq.reason)),
      el('td', {}, statusBadge(dlq.status)),
      el('td', {}, dlq.errorType),
      el('td', { className: 'num' }, dlq.failer),
      el('td', { className: 'num' }, dlq.attempts),
      el('td', {}, time(dlq.nextRetryAt)),
      el('td', {}, time(dlq.created)),
    );
  });
  $('dlq-rows').replaceChildren(...rows);
  $('dlqs-empty').hidden = rows.length > 0;
  const limit = pageSize();
  $('page-info').textContent = rows.length
    ? `${state.offset + 1}–${state.offset + rows.length}`
    : state.offset > 0
      ? `nothing after ${state.offset}`
      : '';
  /** @type {HTMLButtonElement} */ ($('page-prev')).disabled = state.offset === 0;
  /** @type {HTMLButtonElement} */ ($('page-next')).disabled = rows.length < limit;
  schedulePoll(dlqs.some((d) => d.status === 'pending' || d.status === 'in_progress'));
}

async function retryAll() {
  const scenario = state.scenario;
  if (!scenario) return;
  const ok = await confirmAction(
    `Retry every unresolved incomplete execution of “${scenario.name}” (${scenario.dlqCount} open)?`,
    'Retry all',
  );
  if (!ok) return;
  try {
    const answer = await api('POST', `/dlqs/retry?scenarioId=${scenario.id}`, { all: true, exceptIds: [] });
    state.pollUntil = Date.now() + 10_000;
    if (answer.operation) {
      say(`Bulk retry accepted as operation ${answer.operation.id}; the list refreshes as attempts start.`);
    } else {
      const accepted = answer.dlqs.filter((d) => d.accepted).length;
      const refused = answer.dlqs.filter((d) => !d.accepted);
      const reasons = [...new Set(refused.map((d) => d.reason))].join('; ');
      say(
        `Retry all: ${accepted} attempt(s) started` +
          (refused.length ? `, ${refused.length} refused (${reasons})` : ''),
        refused.length ? 'error' : 'info',
      );
    }
  } catch (error) {
    sayError('Retry all failed', error);
  }
  await refresh();
}

// ---------------------------------------------------------------------------------------------
// One incomplete execution

async function openDetail(id) {
  state.dlqId = id;
  $('detail').hidden = false;
  $('detail-id').textContent = id;
  for (const row of $('dlq-rows').children) row.classList.toggle('selected', row.dataset.dlqId === id);
  writeHash();
  await loadDetail({ focus: true });
}

function closeDetail() {
  state.dlqId = null;
  state.seq.detail++;
  $('detail').hidden = true;
  for (const row of $('dlq-rows').children) row.classList.remove('selected');
  writeHash();
}

async function loadDetail({ focus = false } = {}) {
  const id = state.dlqId;
  if (!id) return;
  const seq = ++state.seq.detail;
  const [dlq, bundle, blueprint, logs] = await Promise.allSettled([
    api('GET', `/dlqs/${id}`),
    api('GET', `/dlqs/${id}/bundle`),
    api('GET', `/dlqs/${id}/blueprint`),
    api('GET', `/dlqs/${id}/logs`),
  ]);
  if (seq !== state.seq.detail) return;
  if (dlq.status === 'rejected') {
    sayError(`Could not load incomplete execution ${id}`, dlq.reason);
    if (dlq.reason?.status === 404) closeDetail();
    return;
  }
  renderDetail(dlq.value.dlq);
  if (bundle.status === 'fulfilled') fixPanel.render(dlq.value.dlq, bundle.value.response);
  showPart('bundle', bundle, (b) => b.response);
  showPart('blueprint', blueprint, (b) => b.response.blueprint);
  if (logs.status === 'fulfilled') renderLogs(logs.value.dlqLogs);
  else sayError('Could not load the attempt logs', logs.reason);
  if (focus) $('detail-heading').scrollIntoView({ block: 'nearest' });
}

function showPart(id, result, pick) {
  if (result.status === 'fulfilled') $(id).textContent = json(pick(result.value));
  else {
    $(id).textContent = `(could not load: ${result.reason.message})`;
    sayError(`Could not load the ${id}`, result.reason);
  }
}

function renderDetail(dlq) {
  $('detail-reason').textContent = dlq.reason;
  const fields = [
    ['Status', statusBadge(dlq.status)],
    ['Error type', dlq.errorType],
    ['Failer', `module ${dlq.failer}`],
    ['Attempts', String(dlq.attempts)],
    ['Auto-retry', dlq.retry ? 'on' : 'off'],
    ['Next retry', time(dlq.nextRetryAt)],
    ['Created', time(dlq.created)],
    [
      'Failed run',
      el(
        'button',
        { type: 'button', className: 'link', id: 'open-run', onclick: () => openRun(dlq.scenarioId, dlq.executionId) },
        el('code', {}, dlq.executionId),
      ),
    ],
    ['Bundle index', String(dlq.index)],
    ['Size', `${dlq.size} bytes`],
  ];
  $('bundle-note').hidden = !dlq.resolved;
  $('detail-fields').replaceChildren(...fields.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]));
  const busy = dlq.status === 'pending' || dlq.status === 'in_progress';
  /** @type {HTMLButtonElement} */ ($('retry')).disabled = dlq.resolved;
  /** @type {HTMLButtonElement} */ ($('delete')).disabled = false;
  const link = /** @type {HTMLAnchorElement} */ ($('temporal-link'));
  const base = temporalUiBase();
  link.hidden = !base;
  if (base) link.href = `${base}/workflows/${encodeURIComponent(`ie-${dlq.id}`)}`;
  schedulePoll(busy);
}

function renderLogs(logs) {
  const rows = logs.flatMap((log) => {
    const moduleLog = el('pre', { className: 'json', hidden: true });
    const moduleRow = el('tr', { className: 'module-log', hidden: true }, el('td', { colSpan: 6 }, moduleLog));
    const toggle = el('button', { type: 'button', className: 'secondary small' }, 'Module log');
    toggle.setAttribute('aria-expanded', 'false');
    toggle.onclick = async () => {
      const open = moduleRow.hidden;
      moduleRow.hidden = moduleLog.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      if (!open || moduleLog.textContent) return;
      try {
        const { dlqLog } = await api('GET', `/dlqs/${state.dlqId}/logs/${log.id}`);
        moduleLog.textContent = json(dlqLog.log);
      } catch (error) {
        moduleLog.textContent = `(could not load: ${error.message})`;
        sayError('Could not load the module log', error);
      }
    };
    const result = RESULTS[log.status] ?? String(log.status);
    return [
      el(
        'tr',
        {},
        el('td', {}, time(log.timestamp)),
        el('td', {}, el('span', { className: `badge badge-${result}` }, result)),
        el('td', { className: 'num' }, `${log.duration} ms`),
        el('td', { className: 'num' }, log.operations ?? ''),
        el('td', {}, log.error ? `${log.error.type}: ${log.error.message}` : ''),
        el('td', {}, toggle),
      ),
      moduleRow,
    ];
  });
  $('log-rows').replaceChildren(...rows);
  $('logs-empty').hidden = logs.length > 0;
}

// ---------------------------------------------------------------------------------------------
// One run (Make's HISTORY entry): its operations and the IEs it parked, each a link to its detail

async function openRun(scenarioId, executionId) {
  $('run').hidden = false;
  $('run-id').textContent = executionId;
  let run;
  try {
    ({ scenarioLog: run } = await api('GET', `/scenarios/${scenarioId}/logs/${executionId}`));
  } catch (error) {
    sayError(`Could not load run ${executionId}`, error);
    return;
  }
  const result = RESULTS[run.status] ?? String(run.status);
  const fields = [
    ['Result', el('span', { className: `badge badge-${result}` }, result)],
    ['Started', time(run.timestamp)],
    ['Duration', `${run.duration} ms`],
    ['Operations', String(run.operations)],
    ['Trigger', run.trigger],
    ['Parked', String(run.dlqCount)],
  ];
  if (run.error) fields.push(['Error', `${run.error.type}: ${run.error.message}`]);
  $('run-fields').replaceChildren(...fields.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]));
  $('run-operation-rows').replaceChildren(
    ...run.log.map((entry) =>
      el(
        'tr',
        {},
        el('td', {}, `${entry.moduleId} · ${entry.module}`),
        el('td', { className: 'num' }, entry.bundleIndex),
        el('td', {}, el('span', { className: `badge badge-${entry.status}` }, entry.status)),
        el('td', { className: 'num' }, `${entry.durationMs} ms`),
        el('td', {}, entry.errorType ? `${entry.errorType}: ${entry.message ?? ''}` : ''),
      ),
    ),
  );
  $('run-dlq-rows').replaceChildren(
    ...run.dlqs.map((dlq) =>
      el(
        'tr',
        { dataset: { dlqId: dlq.id } },
        el(
          'td',
          {},
          el(
            'button',
            { type: 'button', className: 'link', onclick: () => openDetail(dlq.id) },
            el('code', {}, dlq.id),
          ),
        ),
        el('td', {}, statusBadge(dlq.status)),
        el('td', { className: 'num' }, dlq.failer),
        el('td', {}, `${dlq.errorType}: ${dlq.reason}`),
      ),
    ),
  );
  $('run-dlqs-empty').hidden = run.dlqs.length > 0;
  $('run-discarded').replaceChildren(
    ...(run.discarded ?? []).map((d) =>
      el('li', {}, `Module ${d.moduleId}, bundle ${d.bundleIndex} discarded: ${d.reason}`),
    ),
  );
  $('run-heading').scrollIntoView({ block: 'nearest' });
}

async function retryOne() {
  const id = state.dlqId;
  if (!id) return;
  state.pollUntil = Date.now() + 10_000;
  try {
    await api('POST', `/dlqs/${id}/retry`);
    say(`Attempt of ${id} started.`);
  } catch (error) {
    sayError('Retry refused', error);
  }
  await refreshAfterRetry();
}

/**
 * An accepted retry shows in the IE once its attempt starts (it writes `pending` through): the
 * page polls for a while even though nothing on screen has changed yet.
 */
async function refreshAfterRetry() {
  state.pollUntil = Date.now() + 10_000;
  await refresh();
}

async function deleteOne() {
  const id = state.dlqId;
  const scenario = state.scenario;
  if (!id || !scenario) return;
  const ok = await confirmAction(
    `Delete incomplete execution ${id}? Its bundle and blueprint are discarded.`,
    'Delete',
  );
  if (!ok) return;
  try {
    await api('DELETE', `/dlqs?scenarioId=${scenario.id}`, { ids: [id] });
    say(`Incomplete execution ${id} deleted.`);
    closeDetail();
  } catch (error) {
    sayError('Delete refused', error);
  }
  await refresh();
}

// ---------------------------------------------------------------------------------------------
// Refreshing, confirmation, token, settings, URL

async function refresh() {
  if (state.view === 'all') await Promise.all([allIes.refresh(), operations.refresh()]);
  else await Promise.all([loadScenarios(), loadDlqs(), loadDetail()]);
}

/** Polls while something on screen is about to change; any render may ask for it. */
function schedulePoll(wanted) {
  if (!(wanted || Date.now() < state.pollUntil) || state.pollTimer) return;
  state.pollTimer = setTimeout(async () => {
    state.pollTimer = 0;
    await refresh();
  }, POLL_MS);
}

function temporalUiBase() {
  const url = localStorage.getItem(TEMPORAL_UI_KEY) ?? '';
  return /^https?:\/\//i.test(url) ? url.replace(/\/+$/, '') : '';
}

function writeHash() {
  if (state.view !== 'scenarios') return;
  const params = new URLSearchParams();
  if (state.scenario) params.set('scenario', String(state.scenario.id));
  if (state.dlqId) params.set('dlq', state.dlqId);
  history.replaceState(null, '', params.size ? `#${params}` : location.pathname);
}

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const scenario = Number(params.get('scenario'));
  const dlq = params.get('dlq');
  return {
    scenarioId: Number.isInteger(scenario) && scenario > 0 ? scenario : null,
    dlqId: dlq && /^[0-9a-f]{32}$/.test(dlq) ? dlq : null,
  };
}

async function loadFilterChoices() {
  try {
    const choices = await filterChoices();
    for (const [name, selectId] of [
      ['status', 'filter-status'],
      ['errorType', 'filter-error-type'],
    ]) {
      $(selectId).append(...choices[name].map((value) => el('option', { value }, value.replace('_', ' '))));
    }
  } catch (error) {
    sayError('Could not load the filter choices', error);
  }
}

const operations = createOperationsPanel({
  describe: (query) => allIes.describe(query),
  scenarioName: (id) => allIes.scenarioName(id),
  onFinished: () => void allIes.refresh(),
  onOpened: (id) => {
    const params = new URLSearchParams(location.hash.slice(1));
    if (id) params.set('op', id);
    else params.delete('op');
    history.replaceState(null, '', `#${params}`);
  },
});
const allIes = createAllIesView({
  operations,
  // The all-IEs view's fragment: `view=all`, its filters (GET /dlqs's query string) and the open operation.
  writeHash: (filters) => {
    const op = new URLSearchParams(location.hash.slice(1)).get('op');
    const params = new URLSearchParams([['view', 'all'], ...filters]);
    if (op) params.set('op', op);
    history.replaceState(null, '', `#${params}`);
  },
});

/** Shows the view the URL's fragment names (a link, the navigation, the back button). */
async function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const before = state.view;
  state.view = params.get('view') === 'all' ? 'all' : 'scenarios';
  const all = state.view === 'all';
  $('all-view').hidden = !all;
  $('scenario-view').hidden = all;
  for (const [id, current] of [
    ['nav-all', all],
    ['nav-scenarios', !all],
  ]) {
    if (current) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  const token = Boolean(localStorage.getItem(TOKEN_KEY));
  operations.setActive(all && token);
  if (!all) allIes.hide();
  if (!token) return;
  if (all) {
    const op = params.get('op');
    await allIes.show(params);
    if (op && /^[0-9a-zA-Z-]{1,64}$/.test(op)) await operations.open(op);
    return;
  }
  await loadScenarios();
  const { scenarioId, dlqId } = readHash();
  const again = before !== state.view;
  if (scenarioId && (again || state.scenario?.id !== scenarioId)) selectScenario(scenarioId);
  if (scenarioId && dlqId && (again || state.dlqId !== dlqId)) await openDetail(dlqId);
  if (!scenarioId) writeHash();
}

const fixPanel = createFixPanel({ api, el, say, sayError, $, onChanged: refresh, onRetried: refreshAfterRetry });

async function start() {
  const tokenInput = /** @type {HTMLInputElement} */ ($('token'));
  tokenInput.value = localStorage.getItem(TOKEN_KEY) ?? '';
  /** @type {HTMLInputElement} */ ($('temporal-ui')).value = localStorage.getItem(TEMPORAL_UI_KEY) ?? '';

  $('token-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
    say('Token saved in this browser.');
    await (state.view === 'all' ? route() : refresh());
  });
  $('forget-token').addEventListener('click', () => {
    localStorage.removeItem(TOKEN_KEY);
    tokenInput.value = '';
    state.scenarios = [];
    state.scenario = null;
    closeDetail();
    $('dlqs').hidden = true;
    renderScenarios();
    say('Token removed from this browser.');
  });
  $('settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(TEMPORAL_UI_KEY, /** @type {HTMLInputElement} */ ($('temporal-ui')).value.trim());
    say('Settings saved.');
    void loadDetail();
  });
  $('refresh-scenarios').addEventListener('click', () => void loadScenarios());
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.offset = 0;
    void loadDlqs();
  });
  for (const id of ['filter-status', 'filter-error-type', 'page-size']) {
    $(id).addEventListener('change', () => {
      state.offset = 0;
      void loadDlqs();
    });
  }
  $('page-prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - pageSize());
    void loadDlqs();
  });
  $('page-next').addEventListener('click', () => {
    state.offset += pageSize();
    void loadDlqs();
  });
  $('retry-all').addEventListener('click', () => void retryAll());
  $('retry').addEventListener('click', () => void retryOne());
  $('delete').addEventListener('click', () => void deleteOne());
  $('close-detail').addEventListener('click', closeDetail);
  $('close-run').addEventListener('click', () => {
    $('run').hidden = true;
  });
  $('confirm-cancel').addEventListener('click', () => /** @type {HTMLDialogElement} */ ($('confirm')).close('cancel'));
  $('confirm-ok').addEventListener('click', () => /** @type {HTMLDialogElement} */ ($('confirm')).close('confirm'));

  window.addEventListener('hashchange', () => void route());

  void loadFilterChoices();
  if (!localStorage.getItem(TOKEN_KEY)) {
    renderScenarios();
    tokenInput.focus();
  }
  await route();
}

void start();
