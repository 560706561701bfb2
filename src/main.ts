/**
 * `npm start`: imex on embedded defaults. Brings up the local stack (or uses TEMPORAL_ADDRESS /
 * MONGO_URL), then runs until Ctrl-C and stops everything it started.
 */
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { onExit, onShutdown } from './shutdown';
import { startLocalStack } from './stack/local-stack';
import { StackError } from './stack/stack-error';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.IMEX_LOG_LEVEL);
  const stack = await startLocalStack({ config, mode: 'persistent', progress: (line) => log.info(line) });
  onShutdown('local stack', () => stack.stop());
  onExit(() => stack.stopSync());

  if (stack.temporalUiUrl) console.log(`Temporal UI: ${stack.temporalUiUrl}`);
  console.log(`Temporal: ${stack.temporalAddress}`);
  console.log(`MongoDB: ${stack.mongoUrl}`);
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  console.error(err instanceof StackError || err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
