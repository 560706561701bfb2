/**
 * `npm start`: imex on embedded defaults: the local stack (or TEMPORAL_ADDRESS / MONGO_URL), a
 * worker, the API and a demo scenario. Runs until Ctrl-C, then stops everything it started.
 */
import path from 'node:path';
import { startImex } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger, fileWithWarningsOnStderr } from './logger';
import { imexPaths } from './stack/paths';
import { onExit, onShutdown } from './shutdown';
import { StackError } from './stack/stack-error';

async function main(): Promise<void> {
  const config = loadConfig();
  // In a terminal the JSON lines go to a file, so the lines below stay readable (docs/operations.md#logs).
  const logFile =
    config.IMEX_LOG_FILE ??
    (process.stdout.isTTY ? path.join(imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR).logs, 'imex.log') : undefined);
  const log = createLogger(config.IMEX_LOG_LEVEL, 'imex', logFile ? fileWithWarningsOnStderr(logFile) : undefined);
  if (logFile) console.log(`Logs: ${logFile} (JSON lines; warnings and errors are printed here too)`);
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
