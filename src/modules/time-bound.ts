/**
 * User-controlled work that runs synchronously in a worker (IML mappers and filters, the text
 * parser's and the switcher's regular expressions), run under a time bound.
 *
 * Why: a regular expression can backtrack for hours on a short text (`^(a+)+$` against
 * `aaaa…ab`), and JavaScript cannot interrupt it from inside. It would hold the worker's event
 * loop: every activity of the process, its heartbeats and its polls would stop, for every
 * organization. Node's `vm` watchdog can interrupt it: the work runs as a call made by a tiny
 * script whose `timeout` terminates whatever runs synchronously under it, the regular expression
 * engine included. The cost is one watchdog per call (tens of microseconds), so it wraps one
 * module's mapper or one module's matching, not each function call.
 */
import vm from 'node:vm';
import { ModuleError } from '../domain';

/**
 * Long enough for any honest mapping (IML work is bounded in units too); far below an activity
 * timeout. `IMEX_USER_WORK_TIME_LIMIT_MS` changes it for the worker process (docs/operations.md).
 */
export const USER_WORK_TIME_LIMIT_MS = timeLimitFromEnv(process.env.IMEX_USER_WORK_TIME_LIMIT_MS) ?? 10_000;

function timeLimitFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 10 || ms > 600_000) {
    throw new Error(
      `IMEX_USER_WORK_TIME_LIMIT_MS must be a whole number of milliseconds from 10 to 600000 (got "${value}")`,
    );
  }
  return ms;
}

const sandbox = vm.createContext({ work: undefined as (() => unknown) | undefined });
const callWork = new vm.Script('work()', { filename: 'imex-time-bound' });
let depth = 0;

/** What a person should look at when user work ran past its bound. */
export const RUNAWAY_HINT = 'a regular expression that backtracks without end on this data? make it more specific';

/** The work ran past its bound and was terminated. */
export class TimeBoundExceededError extends Error {
  constructor(readonly limitMs: number) {
    super(`took longer than ${limitMs / 1000} s and was stopped`);
    this.name = 'TimeBoundExceededError';
  }
}

/** Runs `work` (synchronous) and returns its result, or throws TimeBoundExceededError past `limitMs`. */
export function withinTimeBound<T>(work: () => T, limitMs = USER_WORK_TIME_LIMIT_MS): T {
  // Nested: the outer call's watchdog already bounds this one.
  if (depth > 0) return work();
  depth++;
  sandbox.work = work;
  try {
    return callWork.runInContext(sandbox, { timeout: limitMs }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new TimeBoundExceededError(limitMs);
    throw err;
  } finally {
    sandbox.work = undefined;
    depth--;
  }
}

/**
 * A module's matching under the bound: past it, Make's DataError (the data or the pattern needs a
 * person's fix; retrying would take as long again), naming what ran away.
 */
export function matchWithinTimeBound<T>(what: string, work: () => T, limitMs = USER_WORK_TIME_LIMIT_MS): T {
  try {
    return withinTimeBound(work, limitMs);
  } catch (err) {
    if (!(err instanceof TimeBoundExceededError)) throw err;
    throw new ModuleError('DataError', `${what} ${err.message} (${RUNAWAY_HINT})`, { details: { limitMs } });
  }
}
