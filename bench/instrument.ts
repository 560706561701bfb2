/**
 * Where an activity's time goes, measured from outside the engine: the store and the Temporal
 * client handed to imex's activities are wrapped so that each call (`quota.reserve`,
 * `incompleteExecutions.insert`, `workflow.start`, …) is timed and counted under the activity
 * type that made it, and every MongoDB command is counted the same way (the driver's command
 * monitoring). No engine file changes; the activities cannot tell.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { MongoClient } from 'mongodb';
import type { Store } from '../src/store';

export interface CallStats {
  count: number;
  totalMs: number;
}

/** Per activity type: per call name, and the MongoDB commands it sent. */
export type ActivityBreakdown = Record<string, { calls: Record<string, CallStats>; mongoCommands: number }>;

function currentActivityType(): string {
  try {
    return Context.current().info.activityType;
  } catch {
    return '(outside activities)';
  }
}

export class CallRecorder {
  private byActivity: ActivityBreakdown = {};

  private entry(activity: string) {
    this.byActivity[activity] ??= { calls: {}, mongoCommands: 0 };
    return this.byActivity[activity];
  }

  record(name: string, ms: number, activity = currentActivityType()): void {
    const calls = this.entry(activity).calls;
    const stats = (calls[name] ??= { count: 0, totalMs: 0 });
    stats.count++;
    stats.totalMs += ms;
  }

  countMongoCommand(): void {
    this.entry(currentActivityType()).mongoCommands++;
  }

  count(activity: string, name: string): number {
    return this.byActivity[activity]?.calls[name]?.count ?? 0;
  }

  snapshot(): ActivityBreakdown {
    return structuredClone(this.byActivity);
  }

  reset(): void {
    this.byActivity = {};
  }

  /** Wraps every method of `target` so its calls are timed under `prefix.method`. */
  timed<T extends object>(target: T, prefix: string): T {
    return new Proxy(target, {
      get: (obj, prop, receiver) => {
        const value = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        return (...args: unknown[]) => {
          const activity = currentActivityType();
          const started = performance.now();
          const done = () => this.record(`${prefix}.${prop}`, performance.now() - started, activity);
          // Called on the real object: its own inner calls are not counted twice.
          const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (result instanceof Promise) return result.finally(done);
          done();
          return result;
        };
      },
    });
  }

  /** The store with each collection's methods timed (`incompleteExecutions.insert`, …). */
  store(store: Store): Store {
    const wrapped = { ...store };
    for (const [key, value] of Object.entries(store)) {
      if (value && typeof value === 'object' && key !== 'db') {
        (wrapped as Record<string, unknown>)[key] = this.timed(value as object, key);
      }
    }
    return wrapped;
  }

  /** The client with `workflow.start` (and the other workflow-client calls) timed. */
  client(client: Client): Client {
    const workflow = this.timed(client.workflow, 'workflow');
    return new Proxy(client, {
      get: (obj, prop, receiver) => (prop === 'workflow' ? workflow : Reflect.get(obj, prop, receiver)),
    });
  }

  /** Counts every MongoDB command under the activity that sent it. */
  monitor(mongo: MongoClient): void {
    mongo.on('commandStarted', () => this.countMongoCommand());
  }
}
