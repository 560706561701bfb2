/** The lint rule that keeps Node built-ins and I/O out of workflow code and the pure domain. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

// ESLint's flat config is an ES module, which jest's VM cannot load: run the real CLI on a probe
// file placed where the rule applies (typed linting needs the file to exist).
async function restrictedImports(file: string, source: string): Promise<string[]> {
  const probe = path.join(root, path.dirname(file), `__lint-probe-${process.pid}.ts`);
  fs.writeFileSync(probe, source);
  let run;
  try {
    run = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', probe],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
  } finally {
    fs.rmSync(probe, { force: true });
  }
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const forbidden = [
  "import fs from 'node:fs';\nexport const x = fs;\n",
  "import crypto from 'crypto';\nexport const x = crypto;\n",
  "import { MongoClient } from 'mongodb';\nexport const x = MongoClient;\n",
  "import { Worker } from '@temporalio/worker';\nexport const x = Worker;\n",
  "import { x as y } from '../src/store/executions';\nexport const x = y;\n",
];

test.each(['workflows/example.ts', 'src/domain/example.ts'])(
  '%s may not import Node built-ins or I/O',
  async (file) => {
    for (const source of forbidden) expect(await restrictedImports(file, source)).toHaveLength(1);
  },
);

test('workflow code may import the workflow SDK and the pure domain', async () => {
  const source =
    "import { sleep } from '@temporalio/workflow';\nimport { z } from 'zod';\nexport const x = [sleep, z];\n";
  expect(await restrictedImports('workflows/example.ts', source)).toEqual([]);
});

test('activities may use Node and I/O', async () => {
  expect(await restrictedImports('activities/example.ts', forbidden[0] as string)).toEqual([]);
});
