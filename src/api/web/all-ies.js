/**
 * "All incomplete executions" (issue 22): the organization's IEs across scenarios, with filters
 * (scenarios, status, error type, failed module, created from/to, message contains), paged; a
 * multi-select (a select-all-on-page box); retry or delete of the selection (the id-list bulk
 * routes, one request per scenario since they take `scenarioId`) or of everything the filters
 * match (`POST /dlqs/operations`, after a dry run whose count and sample the confirmation shows).
 *
 * The filters are one IE query (docs/api.md) written as `GET /dlqs`'s query string; the same
 * string is the view's URL fragment (`#view=all&scenarioId=1&status=unresolved…`), so a link
 * opens the same list.
 */

import { createIeFilters } from './ie-filters.js';
import { $, api, confirmAction, el, say, sayError, statusBadge, time } from './ui.js';

/** While an IE on the page is pending or in progress, the list refreshes itself this often. */
const POLL_MS = 1500;

/**
 * @param {{ operations: { refresh: () => Promise<void>, open: (id: string) => Promise<void> },
 *           writeHash: (params: URLSearchParams) => void }} page
 */
export function createAllIesView(page) {
  const filters = createIeFilters();
  const { query, queryString, scenarioName, describe } = filters;
  const input = (id) => /** @type {HTMLInputElement} */ ($(id));
  const state = {
    /** @type {Map<string, number>} selected IE id → its scenario (the id-list routes are per scenario) */
    selected: new Map(),
    /** @type {{ id: string, scenarioId: number }[]} */
    rows: [],
    offset: 0,
    seq: 0,
    /** On screen: only then does the list refresh itself. */
    active: false,
    pollTimer: 0,
    /** After a retry the list refreshes for a while even before the IEs' status changes. */
    pollUntil: 0,
  };

  function pageSize() {
    return Number(/** @type {HTMLSelectElement} */ ($('all-page-size')).value);
  }

  // -------------------------------------------------------------------------------------------
  // The list

  async function load() {
    const seq = ++state.seq;
    const q = query();
    const params = queryString(q);
    params.set('pg[offset]', String(state.offset));
    params.set('pg[limit]', String(pageSize()));
    writeHash(q);
    try {
      const { dlqs } = await api('GET', `/dlqs?${params}`);
      if (seq !== state.seq) return;
      render(dlqs);
    } catch (error) {
      if (seq === state.seq) sayError('Could not list incomplete executions', error);
    }
  }

  function writeHash(q) {
    const params = queryString(q);
    if (state.offset) params.set('offset', String(state.offset));
    page.writeHash(params);
  }

  function render(dlqs) {
    state.rows = dlqs.map((d) => ({ id: d.id, scenarioId: d.scenarioId }));
    const rows = dlqs.map((dlq) => {
      const name = scenarioName(dlq.scenarioId);
      const box = el('input', {
        type: 'checkbox',
        checked: state.selected.has(dlq.id),
        onchange: () => {
          if (box.checked) state.selected.set(dlq.id, dlq.scenarioId);
          else state.selected.delete(dlq.id);
          renderSelection();
        },
      });
      box.setAttribute('aria-label', `Select incomplete execution ${dlq.id}`);
      // The IE's detail lives in the scenario view: a link opens it there.
      const open = el(
        'a',
        { className: 'mono', title: dlq.id, href: `#scenario=${dlq.scenarioId}&dlq=${dlq.id}` },
        dlq.id.slice(0, 12),
      );
      open.setAttribute('aria-label', `Open incomplete execution ${dlq.id}`);
      return el(
        'tr',
        { dataset: { dlqId: dlq.id }, className: state.selected.has(dlq.id) ? 'selected' : '' },
        el('td', { className: 'check' }, box),
        el('td', {}, name, el('span', { className: 'muted id' }, ` #${dlq.scenarioId}`)),
        el('td', {}, open),
        el('td', {}, statusBadge(dlq.status)),
        el(
          'td',
          {},
          el('span', { className: 'error-type' }, dlq.errorType),
          el('div', { className: 'reason-cell', title: dlq.reason }, dlq.reason),
        ),
        el('td', { className: 'num' }, dlq.failer),
        el('td', {}, time(dlq.created)),
      );
    });
    $('all-rows').replaceChildren(...rows);
    $('all-empty').hidden = rows.length > 0;
    $('all-page-info').textContent = rows.length
      ? `${state.offset + 1}–${state.offset + rows.length}`
      : state.offset > 0
        ? `nothing after ${state.offset}`
        : '';
    /** @type {HTMLButtonElement} */ ($('all-page-prev')).disabled = state.offset === 0;
    /** @type {HTMLButtonElement} */ ($('all-page-next')).disabled = rows.length < pageSize();
    renderSelection();
    poll(dlqs.some((d) => d.status === 'pending' || d.status === 'in_progress'));
  }

  /** Refreshes while an IE on the page is about to change (an attempt is on its way or running). */
  function poll(wanted) {
    if (!(wanted || Date.now() < state.pollUntil) || !state.active || state.pollTimer) return;
    state.pollTimer = setTimeout(() => {
      state.pollTimer = 0;
      void load();
    }, POLL_MS);
  }

  function renderSelection() {
    const count = state.selected.size;
    const scenarios = new Set(state.selected.values()).size;
    $('all-selected-count').textContent = count
      ? `${count} selected${scenarios > 1 ? ` in ${scenarios} scenarios` : ''}`
      : 'None selected';
    for (const id of ['all-retry-selected', 'all-delete-selected', 'all-clear-selection']) {
      /** @type {HTMLButtonElement} */ ($(id)).disabled = count === 0;
    }
    const onPage = state.rows.filter((r) => state.selected.has(r.id)).length;
    const all = /** @type {HTMLInputElement} */ ($('all-select-page'));
    all.checked = onPage > 0 && onPage === state.rows.length;
    all.indeterminate = onPage > 0 && onPage < state.rows.length;
    for (const row of $('all-rows').children) {
      const selected = state.selected.has(/** @type {HTMLElement} */ (row).dataset.dlqId ?? '');
      row.classList.toggle('selected', selected);
      /** @type {HTMLInputElement} */ (row.querySelector('input[type="checkbox"]')).checked = selected;
    }
  }

  function selectPage(on) {
    for (const row of state.rows) {
      if (on) state.selected.set(row.id, row.scenarioId);
      else state.selected.delete(row.id);
    }
    renderSelection();
  }

  // -------------------------------------------------------------------------------------------
  // Bulk actions on the selection: the id-list routes, one request per scenario

  /** The operator's reason for a bulk request, if any: each IE's change log keeps it. */
  function reason() {
    const text = input('all-reason').value.trim();
    return text ? { reason: text } : {};
  }

  function selectionByScenario() {
    /** @type {Map<number, string[]>} */
    const groups = new Map();
    for (const [id, scenarioId] of state.selected) groups.set(scenarioId, [...(groups.get(scenarioId) ?? []), id]);
    return groups;
  }

  async function retrySelected() {
    const groups = selectionByScenario();
    const ok = await confirmAction(
      `Retry ${state.selected.size} selected incomplete execution(s) in ${groups.size} scenario(s)?`,
      'Retry selected',
    );
    if (!ok) return;
    let accepted = 0;
    const refused = [];
    for (const [scenarioId, ids] of groups) {
      try {
        const answer = await api('POST', `/dlqs/retry?scenarioId=${scenarioId}`, { ids, ...reason() });
        if (answer.operation) {
          say(`Retry of ${ids.length} IE(s) of scenario ${scenarioId} runs as operation ${answer.operation.id}.`);
          continue;
        }
        for (const verdict of answer.dlqs) {
          if (verdict.accepted) accepted++;
          else refused.push(`${verdict.id.slice(0, 12)}: ${verdict.reason}`);
        }
      } catch (error) {
        sayError(`Retry of the selection in scenario ${scenarioId} refused`, error);
      }
    }
    say(
      `Retry selected: ${accepted} attempt(s) started` +
        (refused.length ? `, ${refused.length} refused (${refused.join('; ')})` : ''),
      refused.length ? 'error' : 'info',
    );
    state.selected.clear();
    state.pollUntil = Date.now() + 10_000;
    await Promise.all([load(), page.operations.refresh()]);
  }

  async function deleteSelected() {
    const groups = selectionByScenario();
    const ok = await confirmAction(
      `Delete ${state.selected.size} selected incomplete execution(s) in ${groups.size} scenario(s)? ` +
        'Their bundles and blueprints are discarded.',
      'Delete selected',
    );
    if (!ok) return;
    let deleted = 0;
    const notDeleted = [];
    for (const [scenarioId, ids] of groups) {
      try {
        const answer = await api('DELETE', `/dlqs?scenarioId=${scenarioId}`, { ids, ...reason() });
        if (answer.operation) {
          say(`Delete of ${ids.length} IE(s) of scenario ${scenarioId} runs as operation ${answer.operation.id}.`);
          continue;
        }
        deleted += answer.dlqs.length;
      } catch (error) {
        // Some deleted, some not (an attempt in progress…): the API lists both.
        if (error.code === 'IM_NOT_DELETED' && error.detail) {
          deleted += error.detail.deleted.length;
          notDeleted.push(...error.detail.notDeleted.map((n) => `${n.id.slice(0, 12)}: ${n.reason}`));
        } else sayError(`Delete of the selection in scenario ${scenarioId} refused`, error);
      }
    }
    say(
      `Delete selected: ${deleted} deleted` +
        (notDeleted.length ? `, ${notDeleted.length} not (${notDeleted.join('; ')})` : ''),
      notDeleted.length ? 'error' : 'info',
    );
    state.selected.clear();
    await Promise.all([load(), page.operations.refresh()]);
  }

  // -------------------------------------------------------------------------------------------
  // Bulk actions on everything the filters match: a dry run, its count in the confirmation, then the operation

  async function runMatching(action) {
    const q = query();
    let dry;
    try {
      dry = await api('POST', '/dlqs/operations', { action, query: q, dryRun: true });
    } catch (error) {
      sayError(`Could not count what the filters match`, error);
      return;
    }
    if (dry.matched === 0) {
      say(`No incomplete executions match (${describe(q)}): nothing to ${action}.`);
      return;
    }
    const verb = action === 'retry' ? 'Retry' : 'Delete';
    const sample = el(
      'ul',
      { className: 'sample' },
      ...dry.sample.map((s) =>
        el(
          'li',
          {},
          el('code', {}, s.id.slice(0, 12)),
          ` ${scenarioName(s.scenarioId)} · ${s.status} · ${s.errorType}: ${s.reason}`,
        ),
      ),
    );
    const ok = await confirmAction(
      `${verb} all ${dry.matched} incomplete execution(s) matching: ${describe(q)}?` +
        (action === 'delete' ? ' Their bundles and blueprints are discarded.' : ''),
      `${verb} ${dry.matched}`,
      el(
        'p',
        { className: 'muted' },
        dry.sample.length < dry.matched ? `The first ${dry.sample.length}:` : 'They are:',
      ),
      sample,
    );
    if (!ok) return;
    try {
      const { operation } = await api('POST', '/dlqs/operations', { action, query: q, ...reason() });
      say(`${verb} of ${operation.matched} incomplete execution(s) runs as operation ${operation.id}.`);
      state.selected.clear();
      state.pollUntil = Date.now() + 10_000;
      await page.operations.open(operation.id);
    } catch (error) {
      sayError(`${verb} all matching refused`, error);
    }
    await load();
  }

  // -------------------------------------------------------------------------------------------
  // Wiring

  const reload = () => {
    state.offset = 0;
    state.selected.clear();
    void load();
  };
  $('all-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    reload();
  });
  $('all-page-size').addEventListener('change', reload);
  $('all-clear-filters').addEventListener('click', () => {
    filters.setFilters(new URLSearchParams());
    reload();
  });
  $('all-page-prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - pageSize());
    void load();
  });
  $('all-page-next').addEventListener('click', () => {
    state.offset += pageSize();
    void load();
  });
  $('all-select-page').addEventListener('change', (event) =>
    selectPage(/** @type {HTMLInputElement} */ (event.target).checked),
  );
  $('all-clear-selection').addEventListener('click', () => {
    state.selected.clear();
    renderSelection();
  });
  $('all-retry-selected').addEventListener('click', () => void retrySelected());
  $('all-delete-selected').addEventListener('click', () => void deleteSelected());
  $('all-retry-matching').addEventListener('click', () => void runMatching('retry'));
  $('all-delete-matching').addEventListener('click', () => void runMatching('delete'));

  return {
    /** Shows the view with the filters of `params` (the URL fragment). */
    async show(params) {
      state.active = true;
      await filters.loadChoices();
      filters.setFilters(params);
      const offset = Number(params.get('offset'));
      state.offset = Number.isInteger(offset) && offset > 0 ? offset : 0;
      await load();
    },
    refresh: load,
    describe,
    scenarioName,
    hide() {
      state.active = false;
      clearTimeout(state.pollTimer);
      state.pollTimer = 0;
    },
  };
}
