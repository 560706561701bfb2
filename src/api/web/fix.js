/**
 * The "fix and retry" part of an incomplete execution's detail (issue 21): edit the stored
 * bundles (one JSON editor per module, with the API's validation messages under the module they
 * name), choose where the retry starts and which blueprint it runs, see the blueprint diff next
 * to that choice and the plan of the retry before it runs, then save, or save and retry.
 *
 * A plain textarea per module: a JSON editor library would be the page's first dependency and
 * build step; the API is the judge of what is valid and names each refused value by path.
 * Every retry and save sends an `Idempotency-Key`, so a double click is one request.
 */

/**
 * @param {{ api: Function, el: Function, say: Function, sayError: Function, onChanged: () => Promise<void>,
 *           onRetried: () => Promise<void>, $: (id: string) => HTMLElement }} page
 */
export function createFixPanel(page) {
  const { api, el, say, sayError, $ } = page;
  /** @type {{ id: string, failer: number, stored: Record<string, string> } | null} */
  let current = null;
  let planSeq = 0;

  /** One editor per stored bundle (the modules before the failed one); the failed module's error is not editable. */
  function render(dlq, bundle) {
    const stored = {};
    for (const [moduleId, entry] of Object.entries(bundle ?? {})) {
      if (entry && 'value' in entry) stored[moduleId] = JSON.stringify(entry.value, null, 2);
    }
    // Polling renders again and again: editors are rebuilt only when the stored data changed, and
    // never under the person's edits.
    const sameIe = current?.id === dlq.id;
    const same = sameIe && current?.failer === dlq.failer && JSON.stringify(current?.stored) === JSON.stringify(stored);
    const editing = sameIe && [...$('bundle-editors').querySelectorAll('textarea')].some((t) => t.dataset.dirty);
    current = { id: dlq.id, failer: dlq.failer, stored };
    $('fix').hidden = dlq.resolved;
    if (dlq.resolved || same || editing) return;
    if (!sameIe) /** @type {HTMLSelectElement} */ ($('retry-from')).value = '';
    $('bundle-editors').replaceChildren(
      ...Object.entries(stored).map(([moduleId, text]) => {
        const area = el('textarea', {
          id: `bundle-edit-${moduleId}`,
          className: 'json-editor',
          spellcheck: false,
          rows: Math.min(12, text.split('\n').length + 1),
          value: text,
          oninput: () => {
            area.dataset.dirty = '1';
            showError(moduleId, '');
          },
        });
        area.setAttribute('aria-describedby', `bundle-error-${moduleId}`);
        return el(
          'div',
          { className: 'editor' },
          el('label', { htmlFor: `bundle-edit-${moduleId}` }, `Module ${moduleId} bundle (JSON)`),
          area,
          el('p', { id: `bundle-error-${moduleId}`, className: 'field-error', role: 'alert', hidden: true }),
        );
      }),
    );
    $('bundle-editors-empty').hidden = Object.keys(stored).length > 0;
    void loadChoices();
  }

  function showError(moduleId, text) {
    const box = document.getElementById(`bundle-error-${moduleId}`);
    if (!box) return false;
    box.textContent = text;
    box.hidden = !text;
    return true;
  }

  /** The edited bundles, or null when one is not JSON (its editor says why). */
  function editedBundles() {
    const bundles = {};
    let ok = true;
    for (const area of $('bundle-editors').querySelectorAll('textarea')) {
      const moduleId = area.id.replace('bundle-edit-', '');
      if (area.value === current?.stored[moduleId]) continue;
      try {
        bundles[moduleId] = { value: JSON.parse(area.value) };
      } catch (error) {
        showError(moduleId, `not valid JSON: ${error.message}`);
        ok = false;
      }
    }
    return ok ? bundles : null;
  }

  /** The API names refused values by path (`bundles.2.value`): each message goes under its module. */
  function showApiErrors(error) {
    const rest = [];
    for (const detail of Array.isArray(error.detail) ? error.detail : []) {
      const moduleId = /^bundles\.(\d+)/.exec(detail.path ?? '')?.[1];
      if (!moduleId || !showError(moduleId, `${detail.path}: ${detail.message}`)) rest.push(detail);
    }
    error.detail = rest;
    sayError('Save refused', error);
  }

  async function save() {
    const id = current?.id;
    const bundles = editedBundles();
    if (!id || !bundles) return false;
    if (Object.keys(bundles).length === 0) return true; // nothing changed: nothing to save
    const reason = /** @type {HTMLInputElement} */ ($('fix-reason')).value.trim();
    try {
      await api('PATCH', `/dlqs/${id}`, { bundles, ...(reason ? { reason } : {}) }, idempotent());
    } catch (error) {
      showApiErrors(error);
      return false;
    }
    for (const area of $('bundle-editors').querySelectorAll('textarea')) delete area.dataset.dirty;
    say(`Bundles of ${id} saved.`);
    await page.onChanged();
    await showPlan();
    return true;
  }

  function choice() {
    const from = /** @type {HTMLSelectElement} */ ($('retry-from')).value;
    const blueprint = /** @type {HTMLInputElement} */ (document.querySelector('input[name="retry-blueprint"]:checked'))
      ?.value;
    return { from: from ? Number(from) : undefined, blueprint: blueprint ?? 'stored' };
  }

  /** The starts a retry may take (the failed module, the modules before it, the trigger) and the blueprint diff. */
  async function loadChoices() {
    const id = current?.id;
    if (!id) return;
    const [plan, diff] = await Promise.allSettled([
      api('GET', `/dlqs/${id}/plan`),
      api('GET', `/dlqs/${id}/blueprint-diff`),
    ]);
    if (id !== current?.id) return;
    if (plan.status === 'fulfilled') {
      const { reused, failer } = plan.value.plan;
      const select = $('retry-from');
      const chosen = /** @type {HTMLSelectElement} */ (select).value;
      select.replaceChildren(
        el('option', { value: '' }, `the failed module (${failer})`),
        ...reused
          .slice(1)
          .reverse()
          .map((m) => el('option', { value: String(m.moduleId) }, `module ${m.moduleId} (${m.module})`)),
        ...reused
          .slice(0, 1)
          .map((m) => el('option', { value: String(m.moduleId) }, "the start (the trigger's stored bundle)")),
      );
      /** @type {HTMLSelectElement} */ (select).value = chosen;
    }
    renderDiff(diff);
    await showPlan();
  }

  function renderDiff(result) {
    const box = $('blueprint-diff');
    if (result.status === 'rejected') {
      box.replaceChildren(el('p', { className: 'muted' }, `(no current blueprint: ${result.reason.message})`));
      return;
    }
    const { diff } = result.value;
    if (diff.same && diff.settings.length === 0) {
      box.replaceChildren(el('p', { className: 'muted' }, 'The current blueprint is the same as the stored one.'));
      return;
    }
    const item = (text, className) => el('li', { className }, text);
    box.replaceChildren(
      el(
        'ul',
        { className: 'diff' },
        ...diff.added.map((m) => item(`+ module ${m.moduleId} ${m.module} (only in current)`, 'added')),
        ...diff.removed.map((m) => item(`− module ${m.moduleId} ${m.module} (only in stored)`, 'removed')),
        ...diff.changed.flatMap((m) =>
          m.fields.map((f) =>
            item(
              `~ module ${m.moduleId} ${f.path}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`,
              'changed',
            ),
          ),
        ),
        ...diff.settings.map((f) =>
          item(`~ setting ${f.path}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`, 'changed'),
        ),
      ),
    );
  }

  /** The plan of the retry as chosen: what runs, what is reused, what calls a service again, warnings. */
  async function showPlan() {
    const id = current?.id;
    if (!id) return null;
    const seq = ++planSeq;
    const { from, blueprint } = choice();
    const query = new URLSearchParams({ blueprint });
    if (from !== undefined) query.set('from', String(from));
    const box = $('plan');
    let plan;
    try {
      plan = (await api('GET', `/dlqs/${id}/plan?${query}`)).plan;
    } catch (error) {
      if (seq === planSeq) box.replaceChildren(el('p', { className: 'field-error' }, `No plan: ${planError(error)}`));
      return null;
    }
    // A newer plan is on its way to the screen (a render asked for one): this one still answers
    // its caller, for the choice as it was (a retry runs what it was shown).
    if (seq !== planSeq) return plan;
    box.replaceChildren(
      el('p', {}, `Reuses the stored output of module ${plan.reused.map((m) => m.moduleId).join(', ') || '—'}; runs:`),
      el(
        'ol',
        { className: 'plan-steps' },
        ...plan.modules.map((m) =>
          el(
            'li',
            { className: `plan-${m.runs}` },
            `module ${m.moduleId} ${m.module}`,
            m.runs === 'runs' ? '' : ` (${m.runs === 'maybe' ? 'if its filter passes' : 'filtered out'})`,
            m.callsService
              ? el(
                  'span',
                  { className: 'tag' },
                  m.idempotent ? 'calls a service again' : 'calls a service again · not idempotent',
                )
              : '',
          ),
        ),
      ),
      ...plan.warnings.map((w) => el('p', { className: 'warning' }, `Warning: ${w.message}`)),
    );
    return plan;
  }

  function planError(error) {
    const detail = Array.isArray(error.detail) ? error.detail.map((d) => `${d.path}: ${d.message}`).join('; ') : '';
    return detail || error.message;
  }

  async function retry() {
    const id = current?.id;
    if (!id) return;
    const plan = await showPlan();
    if (!plan) return say('The retry cannot start as chosen: see the plan.', 'error');
    const { from, blueprint } = choice();
    const reason = /** @type {HTMLInputElement} */ ($('fix-reason')).value.trim();
    const body = {
      ...(from === undefined ? {} : { from }),
      ...(blueprint === 'current' ? { blueprint } : {}),
      ...(reason ? { reason } : {}),
    };
    try {
      await api('POST', `/dlqs/${id}/retry`, Object.keys(body).length ? body : undefined, idempotent());
      say(`Attempt of ${id} started from module ${plan.startsAt} (${plan.modules.length} module(s) planned).`);
    } catch (error) {
      sayError('Retry refused', error);
    }
    // The IE changes once its attempt starts, a moment after the retry is accepted.
    await page.onRetried();
  }

  function idempotent() {
    // randomUUID needs a secure context (https, localhost); elsewhere a random key does the same job.
    const key = crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`;
    return { 'idempotency-key': key };
  }

  $('fix-save').addEventListener('click', () => void save());
  $('fix-save-retry').addEventListener('click', async () => {
    if (await save()) await retry();
  });
  $('fix-retry').addEventListener('click', () => void retry());
  $('retry-from').addEventListener('change', () => void showPlan());
  for (const radio of document.querySelectorAll('input[name="retry-blueprint"]')) {
    radio.addEventListener('change', () => void showPlan());
  }

  return { render };
}
