/**
 * No Docker engine runs here, so the compose file is checked against the code: its services,
 * ports and environment must be what imex's config reads and what the servers listen on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../../src/config';
import { imexSearchAttributeTypes } from '../../src/domain/search-attributes';

const root = path.resolve(__dirname, '../..');
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  volumes?: string[];
}
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const { temporal, mongo, imex, worker } = compose.services as Record<
  'temporal' | 'mongo' | 'imex' | 'worker',
  Service & { profiles?: string[] }
>;

test('has the Temporal server with its Web UI, MongoDB 7 and imex', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['imex', 'mongo', 'temporal', 'worker']);
  expect(mongo.image).toMatch(/^mongo:7/);
  expect(temporal.ports).toEqual(expect.arrayContaining(['7233:7233', '8233:8233']));
  expect(mongo.ports).toContain('27017:27017');
  expect(imex.build).toBe('.');
  expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
});

test('registers every imex search attribute on the Temporal server', () => {
  const flags = (temporal.command ?? []).filter((c) => c.startsWith('--search-attribute='));
  expect(flags.sort()).toEqual(
    Object.entries(imexSearchAttributeTypes)
      .map(([name, type]) => `--search-attribute=${name}=${type}`)
      .sort(),
  );
});

test("imex's environment uses only variables the config reads, and they validate", () => {
  const env = imex.environment ?? {};
  for (const name of Object.keys(env)) expect(configVariables).toContain(name);
  const config = loadConfig(env);
  // It points at the compose services, on the ports they listen on.
  expect(config.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(temporal.command).toContain('--port=7233');
  expect(new URL(config.MONGO_URL as string).host).toBe('mongo:27017');
  expect(imex.ports).toContain(`${config.IMEX_API_PORT}:${config.IMEX_API_PORT}`);
  expect(config.IMEX_API_HOST).toBe('0.0.0.0');
  expect(Object.keys(imex.depends_on ?? {}).sort()).toEqual(['mongo', 'temporal']);
  expect(temporal.healthcheck).toBeDefined();
  expect(mongo.healthcheck).toBeDefined();
});

test('the image runs the same entry point as npm start', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const cmd = /CMD \[(.*)\]/.exec(dockerfile)?.[1]?.replace(/"/g, '').split(/,\s*/).join(' ');
  expect(cmd).toBe(pkg.scripts.start);
});

test("imex's healthcheck probes its readiness on the API's port", () => {
  const config = loadConfig(imex.environment ?? {});
  expect(JSON.stringify(imex.healthcheck)).toContain(`http://127.0.0.1:${config.IMEX_API_PORT}/health/ready`);
});

test('the scale-out workers are workers alone on the same servers, task queue and keys as imex', () => {
  expect(worker.profiles).toEqual(['scale-out']);
  for (const name of Object.keys(worker.environment ?? {})) expect(configVariables).toContain(name);
  const config = loadConfig(worker.environment ?? {});
  const main = loadConfig(imex.environment ?? {});
  expect(config.IMEX_ROLE).toBe('worker');
  for (const name of [
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'IMEX_TASK_QUEUE',
    'MONGO_URL',
    'IMEX_MONGO_DB',
    'IMEX_DATA_DIR',
  ] as const) {
    expect(config[name]).toEqual(main[name]);
  }
  // The key imex generated is read from the shared data volume, never written by a worker.
  expect(worker.volumes).toEqual(['imex-data:/data:ro']);
  expect(JSON.stringify(worker.healthcheck)).toContain(`http://127.0.0.1:${config.IMEX_API_PORT}/health/ready`);
});
