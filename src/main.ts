/**
 * `npm start`: imex on embedded defaults: the local stack (or TEMPORAL_ADDRESS / MONGO_URL), a
 * worker, the API and a demo scenario. Runs until Ctrl-C, then stops everything it started.
 */
import { startImex } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { onExit, onShutdown } from './shutdown';
import { StackError } from './stack/stack-error';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.IMEX_LOG_LEVEL);
  const imex = await startImex(config, log, (line) => console.log(line));
  onExit(() => imex.stack.stopSync());
  onShutdown('imex', async () => {
    console.log('Stopping imex…');
    await imex.stop();
  });
  console.log('imex is running. Ctrl-C stops it.');
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  console.error(err instanceof StackError || err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
