/**
 * Graceful shutdown for the entry points: on SIGINT or SIGTERM, run the registered steps in
 * reverse order of registration (worker before servers), then exit. A second signal forces exit.
 */
type Step = { name: string; run: () => Promise<void> | void };

const steps: Step[] = [];
const exitHooks: (() => void)[] = [];
let installed = false;
let shuttingDown = false;

export function onShutdown(name: string, run: Step['run']): void {
  steps.push({ name, run });
  install();
}

/** Synchronous last resort when the process exits some other way (uncaught error, process.exit). */
export function onExit(hook: () => void): void {
  exitHooks.push(hook);
  install();
}

export async function shutdown(code = 0, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const step of steps.splice(0).reverse()) {
    try {
      await step.run();
    } catch (err) {
      log(`Stopping ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      code = code || 1;
    }
  }
  process.exit(code);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (shuttingDown) process.exit(130); // second Ctrl-C: do not wait any longer
      void shutdown(0);
    });
  }
  process.on('exit', () => {
    for (const hook of exitHooks) hook();
  });
}
