/**
 * The all-IEs view's filters (all-ies.js) as one IE query (docs/api.md): read from the form as
 * `POST /dlqs/operations` takes it, written as `GET /dlqs`'s query string (which is also the view's
 * URL fragment) and put back into the form from one, told in words for a confirmation; and the
 * choices the form offers (the organization's scenarios, the statuses and error types).
 */

import { $, api, el, filterChoices, sayError } from './ui.js';

export function createIeFilters() {
  /** @type {Map<number, string>} scenario id → name */
  let scenarioNames = new Map();
  let choicesLoaded = false;

  // -------------------------------------------------------------------------------------------
  // Filters ⇄ IE query ⇄ query string

  const input = (id) => /** @type {HTMLInputElement} */ ($(id));
  const chosen = (id) => [.../** @type {HTMLSelectElement} */ ($(id)).selectedOptions].map((o) => o.value);

  /** The IE query the filters say, as `POST /dlqs/operations` takes it (empty fields left out). */
  function query() {
    /** @type {Record<string, unknown>} */
    const q = {};
    const scenarioIds = chosen('all-scenarios').map(Number);
    const statuses = [...$('all-statuses').querySelectorAll('input:checked')].map((c) => c.value);
    const errorTypes = chosen('all-error-types');
    const failedModuleIds = input('all-module')
      .value.split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    if (scenarioIds.length) q.scenarioIds = scenarioIds;
    if (statuses.length) q.statuses = statuses;
    if (errorTypes.length) q.errorTypes = errorTypes;
    // A module id the API refuses (not a whole number) comes back as its 400, naming the field.
    if (failedModuleIds.length) q.failedModuleIds = failedModuleIds;
    const from = isoOf(input('all-created-from').value);
    const to = isoOf(input('all-created-to').value);
    if (from) q.createdFrom = from;
    if (to) q.createdTo = to;
    const text = input('all-q').value.trim();
    if (text) q.messageContains = text;
    return q;
  }

  /** The IE query as `GET /dlqs` filters (repeatable names for the lists). */
  function queryString(q) {
    const params = new URLSearchParams();
    for (const id of q.scenarioIds ?? []) params.append('scenarioId', String(id));
    for (const status of q.statuses ?? []) params.append('status', status);
    for (const type of q.errorTypes ?? []) params.append('errorType', type);
    for (const id of q.failedModuleIds ?? []) params.append('failedModuleId', String(id));
    if (q.createdFrom) params.set('createdFrom', q.createdFrom);
    if (q.createdTo) params.set('createdTo', q.createdTo);
    if (q.messageContains) params.set('q', q.messageContains);
    return params;
  }

  /** Puts a query string's filters (a link's fragment) into the form. */
  function setFilters(params) {
    const pick = (id, values) => {
      for (const option of /** @type {HTMLSelectElement} */ ($(id)).options)
        option.selected = values.includes(option.value);
    };
    pick('all-scenarios', params.getAll('scenarioId'));
    pick('all-error-types', params.getAll('errorType'));
    const statuses = params.getAll('status');
    for (const box of $('all-statuses').querySelectorAll('input')) {
      /** @type {HTMLInputElement} */ (box).checked = statuses.includes(/** @type {HTMLInputElement} */ (box).value);
    }
    input('all-module').value = params.getAll('failedModuleId').join(', ');
    input('all-created-from').value = localOf(params.get('createdFrom'));
    input('all-created-to').value = localOf(params.get('createdTo'));
    input('all-q').value = params.get('q') ?? '';
  }

  function scenarioName(id) {
    return scenarioNames.get(id) ?? `scenario ${id}`;
  }

  function describe(q) {
    const parts = [];
    if (q.scenarioIds)
      parts.push(`scenario ${q.scenarioIds.map((id) => scenarioNames.get(id) ?? `#${id}`).join(', ')}`);
    if (q.statuses) parts.push(`status ${q.statuses.join(', ')}`);
    if (q.errorTypes) parts.push(`error type ${q.errorTypes.join(', ')}`);
    if (q.failedModuleIds) parts.push(`failed module ${q.failedModuleIds.join(', ')}`);
    if (q.createdFrom) parts.push(`created from ${q.createdFrom}`);
    if (q.createdTo) parts.push(`created to ${q.createdTo}`);
    if (q.messageContains) parts.push(`message contains “${q.messageContains}”`);
    return parts.length ? parts.join('; ') : 'no filter: every incomplete execution of the organization';
  }

  // -------------------------------------------------------------------------------------------
  // Choices: the scenarios (names for the table), statuses and error types

  async function loadChoices() {
    try {
      const { scenarios } = await api('GET', '/scenarios?pg[limit]=1000');
      scenarioNames = new Map(scenarios.map((s) => [s.id, s.name]));
      const keep = chosen('all-scenarios');
      $('all-scenarios').replaceChildren(
        ...scenarios.map((s) =>
          el('option', { value: String(s.id), selected: keep.includes(String(s.id)) }, `${s.name} #${s.id}`),
        ),
      );
    } catch (error) {
      sayError('Could not list scenarios', error);
    }
    if (choicesLoaded) return;
    try {
      const { status, errorType } = await filterChoices();
      $('all-statuses').append(
        ...status.map((value) =>
          el('label', {}, el('input', { type: 'checkbox', name: 'status', value }), ` ${value.replace('_', ' ')}`),
        ),
      );
      $('all-error-types').append(...errorType.map((value) => el('option', { value }, value)));
      choicesLoaded = true;
    } catch (error) {
      sayError('Could not load the filter choices', error);
    }
  }

  return { query, queryString, setFilters, scenarioName, describe, loadChoices };
}

/** `datetime-local`'s value (the browser's time zone) as an ISO instant; '' when empty or not a date. */
function isoOf(local) {
  if (!local) return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** An ISO instant as `datetime-local`'s value, in the browser's time zone. */
function localOf(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}
