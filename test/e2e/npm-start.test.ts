/**
 * The product's main job as a new user runs it (`npm start`): the local stack, a worker, the API
 * and the demo, on ports and a state folder of this test's own; Ctrl-C stops everything.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/stack/free-port';
import { waitFor } from '../../src/stack/wait';
import { sampleValue } from './support/metrics';

const root = path.resolve(__dirname, '../..');

test('npm start brings up imex, runs the demo to a resolved incomplete execution, and stops cleanly on Ctrl-C', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-start-'));
  const [api, temporal, ui, store] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      MONGO_URL: '',
      IMEX_DATA_DIR: dataDir,
      IMEX_API_PORT: String(api),
      IMEX_TEMPORAL_PORT: String(temporal),
      IMEX_TEMPORAL_UI_PORT: String(ui),
      IMEX_STORE_PORT: String(store),
      IMEX_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor('the demo to finish', async () => (/imex is running/.test(out) ? true : undefined), {
      timeoutMs: 90_000,
    });
    expect(out).toContain(`API: http://127.0.0.1:${api}/api/v2`);
    expect(out).toMatch(/Token: imex_\S+/);
    expect(out).toContain(`Temporal UI: http://127.0.0.1:${ui}`);
    expect(out).toMatch(/stored as incomplete execution [0-9a-f]{32}/);
    expect(out).toMatch(/resolved by auto-retry after 1 attempt\(s\); the trigger ran once/);
    // The Web UI answers.
    expect((await fetch(`http://127.0.0.1:${ui}/`)).status).toBe(200);

    const token = /Token: (\S+)/.exec(out)?.[1];
    const scenarios = await fetch(`http://127.0.0.1:${api}/api/v2/scenarios`, {
      headers: { authorization: `Token ${token}` },
    });
    expect(scenarios.status).toBe(200);

    // Payloads are encrypted with a key generated in the data folder; the local token reads them back.
    expect(fs.statSync(path.join(dataDir, 'encryption-keys')).mode & 0o777).toBe(0o600);
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'MQ==' };
    const codec = (operation: string, body: unknown) =>
      fetch(`http://127.0.0.1:${api}/codec/${operation}`, {
        method: 'POST',
        headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ payloads: unknown[] }>);
    const encoded = await codec('encode', { payloads: [plain] });
    expect(JSON.stringify(encoded)).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(await codec('decode', encoded)).toEqual({ payloads: [plain] });
    // Operations: ready (store, Temporal, the worker polling), and one scrape holds imex's
    // figures of the demo's park and the Temporal SDK's worker metrics.
    const ready = await fetch(`http://127.0.0.1:${api}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { store: { ok: true }, temporal: { ok: true }, worker: { ok: true } },
    });
    const metrics = await (await fetch(`http://127.0.0.1:${api}/metrics`)).text();
    expect(sampleValue(metrics, 'imex_ie_parks_total', { outcome: 'stored' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'imex_ie_attempt_outcomes_total', { outcome: 'resolved' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(metrics, 'imex_temporal_sdk_metrics_up')).toBe(1);
    expect(metrics).toMatch(/^temporal_workflow_task_schedule_to_start_latency/m);
    expect(metrics).toMatch(/^temporal_sticky_cache_size/m);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  // Nothing it started is left listening.
  for (const port of [api, temporal, store]) {
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  }
  // Shutdown logged no error (pino level 50) and no step failed to stop.
  expect(out).not.toMatch(/"level":50|failed to stop|stopping .* failed/);
});
