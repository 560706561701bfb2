/**
 * `npm run stack` — the local stack on its own, for working on imex or pointing tools at it.
 *
 *   npm run stack                 start on the fixed ports, state kept in .imex/ (like npm start)
 *   npm run stack -- --ephemeral  free ports, nothing kept
 *   npm run stack -- --prepare    only find or build the Temporal CLI and FerretDB, then exit
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { onExit, onShutdown } from '../shutdown';
import { imexPaths } from './paths';
import { resolveMongoBinary } from './mongo-server';
import { startLocalStack } from './local-stack';
import { StackError } from './stack-error';
import { resolveTemporalBinary } from './temporal-dev-server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ephemeral: { type: 'boolean', default: false }, prepare: { type: 'boolean', default: false } },
  });
  const config = loadConfig();
  if (values.prepare) {
    const paths = imexPaths(config.IMEX_HOME);
    const ctx = { go: config.IMEX_GO, binDir: paths.bin, buildDir: paths.build };
    const [temporal, mongo] = await Promise.all([resolveTemporalBinary(ctx), resolveMongoBinary(ctx)]);
    console.log(`Temporal: ${temporal.binary} (${temporal.source})`);
    console.log(`MongoDB: ${mongo.binary} (${mongo.source})`);
    return;
  }
  const started = Date.now();
  const stack = await startLocalStack({ config, mode: values.ephemeral ? 'ephemeral' : 'persistent' });
  onShutdown('local stack', () => stack.stop());
  onExit(() => stack.stopSync());
  console.log(`Temporal: ${stack.temporalAddress}`);
  if (stack.temporalUiUrl) console.log(`Temporal UI: ${stack.temporalUiUrl}`);
  console.log(`MongoDB: ${stack.mongoUrl}`);
  console.log(
    `Ready in ${Date.now() - started} ms (pids ${stack.started.map((p) => p.pid).join(', ')}). Ctrl-C stops it.`,
  );
  // Stay alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  if (err instanceof StackError || err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
