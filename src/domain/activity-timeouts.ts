/**
 * How soon a lost worker is noticed, and how long a module operation may take.
 *
 * Activities heartbeat every {@link ACTIVITY_HEARTBEAT_INTERVAL_MS} while they run (activities/
 * heartbeat.ts); Temporal gives up on an attempt whose worker fell silent for
 * {@link ACTIVITY_HEARTBEAT_TIMEOUT_MS} and retries it on another worker. So after a worker crash
 * an activity starts again within about that timeout (plus its retry interval), not after its
 * start-to-close timeout. That one only bounds an operation that hangs on a live worker: for a
 * module it is sized from the module's own timeout where it has one (docs/reliability.md).
 */
import type { BlueprintModule } from './blueprint';

export const ACTIVITY_HEARTBEAT_INTERVAL_MS = 5_000;
export const ACTIVITY_HEARTBEAT_TIMEOUT_MS = 20_000;

/** Mapping the input, resolving and storing bundles kept by reference, around the module's own time. */
const MODULE_OVERHEAD_MS = 30_000;
/** Modules with no timeout of their own (built-ins run in-process; a registered module may be slow). */
const DEFAULT_MODULE_START_TO_CLOSE_MS = 10 * 60_000;

/** `http:ActionSendData`: `mapper.timeout` in seconds, Make's maximum (and imex's default) 300. */
const HTTP_MAX_TIMEOUT_SECONDS = 300;

function httpTimeoutSeconds(module: BlueprintModule): number {
  const raw = module.mapper.timeout;
  // A mapping (`{{…}}`) is known only in the activity: assume the maximum.
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  return Number.isFinite(seconds) && seconds > 0
    ? Math.min(seconds, HTTP_MAX_TIMEOUT_SECONDS)
    : HTTP_MAX_TIMEOUT_SECONDS;
}

/** The module activity's start-to-close timeout for this module, in milliseconds. */
export function moduleStartToCloseMs(module: BlueprintModule): number {
  if (module.module === 'http:ActionSendData') return httpTimeoutSeconds(module) * 1000 + MODULE_OVERHEAD_MS;
  return DEFAULT_MODULE_START_TO_CLOSE_MS;
}
