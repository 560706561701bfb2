/**
 * What happens to runs and incomplete executions, as an operator follows it: each finished run,
 * park, attempt, outcome and applied request is counted (metrics.ts) and logged as one line with
 * the organization, scenario, IE and execution ids (and the trace id, by the logger's mixin, when
 * tracing is on); maintenance passes are counted.
 * Called by the worker's activities where the thing happens, after it is durable; an activity
 * retried after a crash may count it again (at least once, never lost).
 */
import type { IeChangeActor } from '../domain';
import type { Logger } from '../logger';
import { imexMetrics, type AttemptOutcome, type MaintenanceResult, type ParkOutcome } from './metrics';

export interface IeRef {
  orgId: number;
  scenarioId: number;
  ieId: string;
  /** The run the IE came from (an attempt's own run id is in its run line). */
  executionId: string;
}

export interface OperatorEvents {
  parked(ie: IeRef, detail: { errorType: string; outcome: ParkOutcome; failer: number }): void;
  attemptStarted(ie: IeRef, detail: { failer: number }): void;
  attemptFinished(ie: IeRef, detail: { outcome: AttemptOutcome; errorType?: string; failer?: number }): void;
  requestApplied(ie: IeRef, detail: { kind: string; actor: IeChangeActor }): void;
  runFinished(run: {
    orgId: number;
    scenarioId: number;
    executionId: string;
    ieId?: string;
    status: string;
    trigger: string;
    errorType?: string;
  }): void;
  maintenanceFinished(result: MaintenanceResult, found: Record<string, number>, quotaDriftBytes: number): void;
}

/** The actor as a bounded label: `token`, `temporal_signal` or `temporal_update`. */
export function actorKind(actor: IeChangeActor): string {
  return actor.type === 'token' ? 'token' : `temporal_${actor.via}`;
}

export function createOperatorEvents(logger?: Logger): OperatorEvents {
  const metrics = imexMetrics();
  const log = logger?.child({ component: 'events' });
  return {
    parked(ie, { errorType, outcome, failer }) {
      metrics.parks.inc({ error_type: errorType, outcome });
      log?.info({ ...ie, errorType, outcome, failer }, `incomplete execution parked (${outcome})`);
    },
    attemptStarted(ie, { failer }) {
      metrics.attemptsStarted.inc();
      log?.info({ ...ie, failer }, `incomplete execution attempt started at module ${failer}`);
    },
    attemptFinished(ie, { outcome, errorType, failer }) {
      metrics.attemptOutcomes.inc({ outcome, error_type: errorType ?? '' });
      const fields = { ...ie, outcome, ...(errorType ? { errorType } : {}), ...(failer ? { failer } : {}) };
      if (outcome === 'resolved') log?.info(fields, 'incomplete execution resolved by an attempt');
      else log?.warn(fields, `incomplete execution attempt ${outcome === 'failed' ? 'failed' : 'could not run'}`);
    },
    requestApplied(ie, { kind, actor }) {
      metrics.requests.inc({ kind, actor: actorKind(actor) });
      log?.info({ ...ie, request: kind, actor }, `incomplete execution ${kind} applied`);
    },
    runFinished(run) {
      metrics.runs.inc({ status: run.status, trigger: run.trigger });
      const line = `scenario run finished (${run.status}, ${run.trigger})`;
      if (run.status === 'error') log?.warn(run, line);
      else log?.info(run, line);
    },
    maintenanceFinished(result, found, quotaDriftBytes) {
      metrics.maintenanceRuns.inc({ result });
      for (const [kind, n] of Object.entries(found)) if (n > 0) metrics.maintenanceRepairs.inc({ kind }, n);
      if (quotaDriftBytes > 0) metrics.quotaDrift.inc(quotaDriftBytes);
    },
  };
}
