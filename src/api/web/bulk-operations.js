/**
 * The "Operations" panel of the all-IEs view (issue 22): the organization's running and recent bulk
 * operations (`GET /dlqs/operations`), each with its progress (applied + skipped + failed of
 * matched), its state and the pause / resume / cancel its state allows, and one operation's
 * per-item results (`GET /dlqs/operations/{id}/items`, filtered by verdict, paged by cursor).
 * While an operation runs, the panel refreshes itself.
 */

import { $, api, el, say, sayError, time } from './ui.js';

const POLL_MS = 1500;
const ITEMS_PAGE = 50;
/** What each state lets an operator do (the API answers 409 otherwise). */
const CONTROLS = {
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
};

/**
 * @param {{ describe: (query: object) => string, scenarioName: (id: number) => string,
 *           onOpened: (id: string | null) => void, onFinished: () => void }} page
 */
export function createOperationsPanel(page) {
  const state = {
    /** @type {string | null} the operation whose results are shown */
    itemsOf: null,
    /** @type {string | undefined} the cursor of the next page of results */
    next: undefined,
    /** The operator asked for more results: polling no longer reloads the first page under them. */
    paged: false,
    pollTimer: 0,
    active: false,
    /** @type {Map<string, string>} each listed operation's state, to tell when one stops running */
    states: new Map(),
    seq: { list: 0, items: 0 },
  };

  async function refresh({ items = true } = {}) {
    const seq = ++state.seq.list;
    const filter = /** @type {HTMLSelectElement} */ ($('operations-state')).value;
    let operations;
    try {
      ({ operations } = await api('GET', `/dlqs/operations${filter ? `?state=${filter}` : ''}`));
    } catch (error) {
      if (seq === state.seq.list) sayError('Could not list the operations', error);
      return;
    }
    if (seq !== state.seq.list) return;
    // An operation stopped running: what it retried or deleted changes the list of IEs.
    const finished = operations.some((o) => state.states.get(o.id) === 'running' && o.state !== 'running');
    state.states = new Map(operations.map((o) => [o.id, o.state]));
    if (finished) page.onFinished();
    render(operations);
    // Results keep arriving while the shown operation runs: its first page is read again.
    const shown = operations.find((o) => o.id === state.itemsOf);
    if (items && shown && !state.paged) await loadItems({ append: false });
    poll(operations.some((o) => o.state === 'running'));
  }

  function render(operations) {
    $('operation-rows').replaceChildren(...operations.map(row));
    $('operations-empty').hidden = operations.length > 0;
  }

  function row(operation) {
    const done = operation.applied + operation.skipped + operation.failed;
    const bar = el('progress', { max: Math.max(operation.matched, 1), value: done });
    bar.setAttribute('aria-label', `Progress of operation ${operation.id}`);
    const controls = (CONTROLS[operation.state] ?? []).map((control) =>
      el(
        'button',
        {
          type: 'button',
          className: control === 'cancel' ? 'danger small' : 'secondary small',
          onclick: () => void applyControl(operation, control),
        },
        control[0].toUpperCase() + control.slice(1),
      ),
    );
    const results = el(
      'button',
      { type: 'button', className: 'secondary small', onclick: () => void open(operation.id) },
      'Results',
    );
    results.setAttribute('aria-label', `Results of operation ${operation.id}`);
    return el(
      'tr',
      { dataset: { operationId: operation.id }, className: operation.id === state.itemsOf ? 'selected' : '' },
      el(
        'td',
        {},
        el('strong', {}, operation.action),
        ' ',
        el('code', { title: operation.id }, operation.id.slice(0, 12)),
      ),
      el('td', { className: 'query-cell' }, operation.query ? page.describe(operation.query) : 'a list of ids'),
      el('td', {}, el('span', { className: `badge badge-op-${operation.state}` }, operation.state)),
      el(
        'td',
        { className: 'progress-cell' },
        bar,
        el(
          'div',
          { className: 'muted small-text' },
          `${done} of ${operation.matched} · applied ${operation.applied} · skipped ${operation.skipped} · failed ${operation.failed}`,
        ),
      ),
      el('td', {}, time(operation.createdAt)),
      el('td', {}, el('div', { className: 'actions' }, ...controls, results)),
    );
  }

  /** Pause, resume or cancel: the API says 409 (and why) when the state has moved on. */
  async function applyControl(operation, control) {
    try {
      await api('POST', `/dlqs/operations/${operation.id}/${control}`);
      say(`Operation ${operation.id.slice(0, 12)}: ${control} asked.`);
    } catch (error) {
      sayError(`Could not ${control} operation ${operation.id.slice(0, 12)}`, error);
    }
    await refresh();
  }

  // -------------------------------------------------------------------------------------------
  // One operation's per-item results

  async function open(id) {
    if (id !== state.itemsOf) /** @type {HTMLSelectElement} */ ($('operation-items-verdict')).value = '';
    state.itemsOf = id;
    state.paged = false;
    $('operation-items').hidden = false;
    $('operation-items-id').textContent = id;
    $('operation-item-rows').replaceChildren();
    page.onOpened(id);
    await Promise.all([refresh({ items: false }), loadItems({ append: false })]);
    $('operation-items-heading').scrollIntoView({ block: 'nearest' });
  }

  function close() {
    state.itemsOf = null;
    state.seq.items++;
    $('operation-items').hidden = true;
    page.onOpened(null);
    for (const tr of $('operation-rows').children) tr.classList.remove('selected');
  }

  async function loadItems({ append }) {
    const id = state.itemsOf;
    if (!id) return;
    const seq = ++state.seq.items;
    const params = new URLSearchParams({ limit: String(ITEMS_PAGE) });
    const verdict = /** @type {HTMLSelectElement} */ ($('operation-items-verdict')).value;
    if (verdict) params.set('verdict', verdict);
    if (append && state.next) params.set('cursor', state.next);
    if (append) state.paged = true;
    let answer;
    try {
      answer = await api('GET', `/dlqs/operations/${id}/items?${params}`);
    } catch (error) {
      if (seq === state.seq.items) sayError(`Could not load the results of operation ${id.slice(0, 12)}`, error);
      return;
    }
    if (seq !== state.seq.items) return;
    const rows = answer.items.map((item) =>
      el(
        'tr',
        { dataset: { dlqId: item.dlqId } },
        el('td', {}, el('code', { title: item.dlqId }, item.dlqId.slice(0, 12))),
        el('td', {}, page.scenarioName(item.scenarioId)),
        el('td', {}, el('span', { className: `badge badge-verdict-${item.verdict}` }, item.verdict)),
        el('td', {}, item.reason ?? ''),
        el('td', {}, time(item.at)),
      ),
    );
    if (append) $('operation-item-rows').append(...rows);
    else $('operation-item-rows').replaceChildren(...rows);
    state.next = answer.next;
    $('operation-items-more').hidden = !answer.next;
    $('operation-items-empty').hidden = $('operation-item-rows').children.length > 0;
  }

  /** Refreshes while an operation runs and the view is on screen. */
  function poll(wanted) {
    if (!wanted || !state.active || state.pollTimer) return;
    state.pollTimer = setTimeout(() => {
      state.pollTimer = 0;
      void refresh();
    }, POLL_MS);
  }

  $('operations-refresh').addEventListener('click', () => void refresh());
  $('operations-state').addEventListener('change', () => void refresh());
  $('operation-items-close').addEventListener('click', close);
  $('operation-items-verdict').addEventListener('change', () => {
    state.paged = false;
    void loadItems({ append: false });
  });
  $('operation-items-more').addEventListener('click', () => void loadItems({ append: true }));

  return {
    refresh,
    open,
    /** The view is shown (`true`: refresh and poll) or left (`false`: stop polling). */
    setActive(active) {
      state.active = active;
      if (active) void refresh();
      else {
        clearTimeout(state.pollTimer);
        state.pollTimer = 0;
      }
    },
  };
}
