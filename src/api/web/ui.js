/**
 * The page's own small UI library, shared by its views (app.js, all-ies.js, bulk-operations.js):
 * the API client, text-only DOM building, dates and badges, the message area and the confirmation
 * dialog. No framework and no build step: each view is an ES module that imports what it uses.
 * API strings only ever reach the page as text (textContent, attributes), never as HTML.
 */

export const API = '/api/v2';
export const TOKEN_KEY = 'imex.token';

/** @returns {HTMLElement} */
export const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

// ---------------------------------------------------------------------------------------------
// The API

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
    this.detail = body?.detail;
  }
}

export async function api(method, path, body, extraHeaders = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) throw new ApiError(0, { message: 'enter an API token first', code: 'NO_TOKEN' });
  const headers = { ...extraHeaders, authorization: `Token ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { message: `the API cannot be reached (${error.message})`, code: 'NETWORK' });
  }
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      json ?? { message: text || response.statusText, code: `HTTP_${response.status}` },
    );
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only

/** `el('td', { className: 'num' }, 'text', child)`: strings become text nodes. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

export function time(iso) {
  if (!iso) return el('span', { className: 'muted' }, '—');
  const date = new Date(iso);
  return el(
    'time',
    { dateTime: iso, title: iso },
    date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
  );
}

export function statusBadge(status) {
  return el('span', { className: `badge badge-${status}` }, String(status).replace('_', ' '));
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Messages: every failure is shown, with the API's code and message

export function say(text, kind = 'info') {
  const box = $('messages');
  const message = el('div', { className: `message message-${kind}`, role: kind === 'error' ? 'alert' : 'status' });
  message.append(el('span', {}, text));
  message.append(
    el('button', { type: 'button', className: 'secondary dismiss', onclick: () => message.remove() }, 'Dismiss'),
  );
  box.prepend(message);
  while (box.children.length > 4) box.lastElementChild?.remove();
  if (kind !== 'error') setTimeout(() => message.remove(), 8000);
}

export function sayError(what, error) {
  if (!(error instanceof ApiError)) {
    say(`${what}: ${error?.message ?? error}`, 'error');
    return;
  }
  const status = error.status ? `${error.status} ` : '';
  let text = `${what}: ${error.message} (${status}${error.code ?? 'error'})`;
  if (error.status === 401) text += '. Check the API token.';
  if (Array.isArray(error.detail)) {
    // Each refused field by name (`query.createdFrom`, or the query parameter `in` says) and why.
    text += ` ${error.detail.map((d) => `${d.path || d.in || 'request'}: ${d.message}`).join('; ')}`;
  }
  say(text, 'error');
}

/** Asks before an action; `details` (nodes) show under the question, e.g. a sample of what it touches. */
export function confirmAction(text, confirmLabel, ...details) {
  const dialog = /** @type {HTMLDialogElement} */ ($('confirm'));
  $('confirm-text').textContent = text;
  $('confirm-detail').replaceChildren(...details);
  $('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.showModal();
  });
}

// ---------------------------------------------------------------------------------------------
// Filter choices: the API's own OpenAPI document (public, no token) lists them

/** @type {Promise<{ status: string[], errorType: string[] }> | null} */
let choices = null;

/** The values `GET /dlqs` accepts for `status` and `errorType` (read once; a failure is tried again next time). */
export function filterChoices() {
  choices ??= (async () => {
    const response = await fetch(`${API}/openapi.json`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const doc = await response.json();
    const parameters = doc.paths?.[`${API}/dlqs`]?.get?.parameters ?? [];
    // A single value (enum) or a repeatable one (array of enum).
    const values = (name) => {
      const schema = parameters.find((p) => p.name === name)?.schema ?? {};
      return schema.enum ?? schema.items?.enum ?? schema.anyOf?.flatMap((s) => s.enum ?? s.items?.enum ?? []) ?? [];
    };
    return { status: [...new Set(values('status'))], errorType: [...new Set(values('errorType'))] };
  })().catch((error) => {
    choices = null;
    throw error;
  });
  return choices;
}
