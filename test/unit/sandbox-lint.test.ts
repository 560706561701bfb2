/**
 * The lint rules that keep Node built-ins and I/O out of workflow code and the pure domain, and zod
 * (and the schemas, and the barrel that re-exports them) out of workflow code and the plain domain.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

const forbidden = [
  "import fs from 'node:fs';\nexport const x = fs;\n",
  "import crypto from 'crypto';\nexport const x = crypto;\n",
  "import { MongoClient } from 'mongodb';\nexport const x = MongoClient;\n",
  "import { Worker } from '@temporalio/worker';\nexport const x = Worker;\n",
  "import { x as y } from '../src/store/executions';\nexport const x = y;\n",
];
const allowedInWorkflows =
  "import { sleep } from '@temporalio/workflow';\nimport { delayForAttempt } from '../src/domain/plain';\n" +
  "import type { z } from 'zod';\nimport type { Blueprint } from '../src/domain/plain';\n" +
  'export const x = [sleep, delayForAttempt];\nexport type Y = [z.ZodType, Blueprint];\n';
/** Each must be refused in workflows/ (paths from there); the plain domain's are the same from src/domain. */
const zodInWorkflows = [
  "import { z } from 'zod';\nexport const x = z;\n",
  "import { blueprintSchema } from '../src/domain/schemas';\nexport const x = blueprintSchema;\n",
  "import { blueprintSchema } from '../src/domain/schemas/blueprint';\nexport const x = blueprintSchema;\n",
  "import { delayForAttempt } from '../src/domain';\nexport const x = delayForAttempt;\n",
];
const zodInPlainDomain = [
  "import { z } from 'zod';\nexport const x = z;\n",
  "import { blueprintSchema } from './schemas';\nexport const x = blueprintSchema;\n",
  "import { blueprintSchema } from './schemas/blueprint';\nexport const x = blueprintSchema;\n",
  "import { delayForAttempt } from '.';\nexport const x = delayForAttempt;\n",
];
const typesFromSchemasInPlainDomain =
  "import type { z } from 'zod';\nimport type { blueprintSchema } from './schemas/blueprint';\n" +
  'export type B = z.output<typeof blueprintSchema>;\n';

interface Probe {
  folder: string;
  source: string;
  file?: string;
}
const probes: Probe[] = [
  ...['workflows', 'src/domain'].flatMap((folder) => forbidden.map((source) => ({ folder, source }))),
  { folder: 'workflows', source: allowedInWorkflows },
  { folder: 'activities', source: forbidden[0] as string },
  ...zodInWorkflows.map((source) => ({ folder: 'workflows', source })),
  ...zodInPlainDomain.map((source) => ({ folder: 'src/domain', source })),
  { folder: 'src/domain', source: typesFromSchemasInPlainDomain },
  { folder: 'src/domain/schemas', source: "import { z } from 'zod';\nexport const x = z.string();\n" },
];
const zodProbes = new Set([...zodInWorkflows, ...zodInPlainDomain]);
const restricted = new Map<Probe, string[]>();

// ESLint's flat config is an ES module, which jest's VM cannot load: run the real CLI, once, on
// probe files placed where the rule applies (typed linting needs the files to exist).
beforeAll(() => {
  probes.forEach((probe, i) => {
    probe.file = path.join(root, probe.folder, `__lint-probe-${process.pid}-${i}.ts`);
    fs.writeFileSync(probe.file, probe.source);
  });
  let run;
  try {
    run = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules/eslint/bin/eslint.js'),
        '--format',
        'json',
        ...probes.map((p) => p.file as string),
      ],
      { cwd: root, encoding: 'utf8' },
    );
  } finally {
    for (const probe of probes) fs.rmSync(probe.file as string, { force: true });
  }
  const results = JSON.parse(run.stdout) as {
    filePath: string;
    messages: { ruleId: string | null; message: string }[];
  }[];
  for (const probe of probes) {
    const result = results.find((r) => r.filePath === probe.file);
    restricted.set(
      probe,
      (result?.messages ?? [])
        .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports')
        .map((m) => m.message),
    );
  }
}, 120_000);

test.each(['workflows', 'src/domain'])('%s may not import Node built-ins or I/O', (folder) => {
  const mine = probes.filter((p) => p.folder === folder && forbidden.includes(p.source));
  expect(mine).toHaveLength(forbidden.length);
  for (const probe of mine) expect(restricted.get(probe)).toHaveLength(1);
});

test('workflow code may import the workflow SDK and the pure domain', () => {
  const probe = probes.find((p) => p.source === allowedInWorkflows) as Probe;
  expect(restricted.get(probe)).toEqual([]);
});

test('activities may use Node and I/O', () => {
  const probe = probes.find((p) => p.folder === 'activities') as Probe;
  expect(restricted.get(probe)).toEqual([]);
});

test.each(['workflows', 'src/domain'])(
  '%s may not import zod, the schemas or the barrel that re-exports them',
  (folder) => {
    const mine = probes.filter((p) => p.folder === folder && zodProbes.has(p.source));
    expect(mine).toHaveLength(4);
    for (const probe of mine) expect(restricted.get(probe)).toHaveLength(1);
  },
);

test('the plain domain may take types from the schemas; the schemas may use zod', () => {
  const types = probes.find((p) => p.source === typesFromSchemasInPlainDomain) as Probe;
  expect(restricted.get(types)).toEqual([]);
  const schemas = probes.find((p) => p.folder === 'src/domain/schemas') as Probe;
  expect(restricted.get(schemas)).toEqual([]);
});
