/**
 * Phase webhook burst: N concurrent `POST /hooks/<hookId>` over real HTTP, as senders would,
 * into one scenario and spread across scenarios. Reports how fast payloads are accepted (per
 * second, and each post's answer latency), how fast the queue drains into runs, the API's latency
 * for `GET /dlqs` meanwhile, and checks that every accepted payload ran exactly once (none lost,
 * none queued twice). Then the cap: a scenario that cannot drain (sequential, waiting on an open
 * incomplete execution) with cap C gets N > C concurrent posts: exactly C must be accepted, the
 * rest answered 429 with Retry-After.
 *
 * The bench process hosts the API and the senders alike; the worker is its own process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDefaultRegistry } from '../src/modules';
import { startBenchApi, type BenchApi } from './api';
import type { BenchContext } from './context';
import { assertValid, fiveModuleBlueprint, parkingBlueprint, parkingData, runData } from './scenarios';
import { formatRows, percentile, round } from './stats';

export interface LatencyFigures {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface BurstFigures {
  posts: number;
  scenarios: number;
  accepted: number;
  /** Answers other than 202 (none expected: the cap is far). */
  refused: number;
  /** From the first post to the last answer. */
  allAnsweredMs: number;
  /**
   * CPU the bench process (the API and the senders) got while the posts were answered: far below
   * `allAnsweredMs` means the machine, not the ingest path, was the bound.
   */
  apiAndSendersCpuMs: number;
  acceptedPerSec: number;
  answer: LatencyFigures;
  /** From the first post until every accepted payload's run was recorded. */
  drainMs: number;
  runsPerSec: number;
  /** Accepted payloads neither run nor waiting in the queue: lost (0 by design). */
  lost: number;
  /** Accepted payloads whose run was not recorded within the drain cap (still queued: slow, not lost). */
  notRunWithinCap: number;
  /** Payloads queued beyond the accepted ones (a payload queued twice). */
  duplicated: number;
  /** `GET /dlqs` during the burst and the drain. */
  apiDlqs: LatencyFigures;
}

export interface CapFigures {
  cap: number;
  posts: number;
  accepted: number;
  refused429: number;
  /** Every 429 carried Retry-After. */
  retryAfter: boolean;
  exact: boolean;
  allAnsweredMs: number;
}

export interface WebhookBurstResult {
  oneScenario: BurstFigures;
  acrossScenarios: BurstFigures;
  cap: CapFigures;
}

export function latency(values: number[]): LatencyFigures {
  return {
    n: values.length,
    p50Ms: round(percentile(values, 50), 1),
    p99Ms: round(percentile(values, 99), 1),
    maxMs: round(values.length ? Math.max(...values) : NaN, 1),
  };
}

export interface Answer {
  status: number;
  ms: number;
  executionId?: string;
  retryAfter: string | null;
}

export async function postWebhook(api: BenchApi, hookId: string, body: unknown): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${api.origin}/hooks/${hookId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { executionId?: string };
  return {
    status: response.status,
    ms: performance.now() - started,
    ...(json.executionId ? { executionId: json.executionId } : {}),
    retryAfter: response.headers.get('retry-after'),
  };
}

/** `GET /dlqs` every 100 ms until stopped; returns the latencies. */
function probeApi(api: BenchApi, scenarioId: number): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await api.call('GET', `/dlqs?scenarioId=${scenarioId}`);
      latencies.push(performance.now() - started);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

async function burst(
  ctx: BenchContext,
  api: BenchApi,
  targets: { id: number; hookId: string }[],
  posts: number,
  drainCapMs: number,
): Promise<BurstFigures> {
  const probe = probeApi(api, targets[0]!.id);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const answers = await Promise.all(
    Array.from({ length: posts }, (_, i) => postWebhook(api, targets[i % targets.length]!.hookId, runData(i))),
  );
  const allAnsweredMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const accepted = answers.filter((a) => a.status === 202 && a.executionId);
  const ids = accepted.map((a) => a.executionId as string);
  ctx.say(
    `webhook burst: ${posts} posts into ${targets.length} scenario(s) answered in ${Math.round(allAnsweredMs)} ms ` +
      `(${accepted.length} accepted); draining`,
  );
  const executions = ctx.store.executions.collection;
  let ran = 0;
  for (;;) {
    ran = await executions.countDocuments({ _id: { $in: ids } });
    if (ran >= ids.length || performance.now() - started > drainCapMs) break;
    await sleep(250);
  }
  const drainMs = performance.now() - started;
  const apiLatencies = await probe.stop();
  const recorded = new Set(
    (await executions.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id),
  );
  const unrun = ids.filter((id) => !recorded.has(id));
  const stillQueued = new Set(
    (
      await ctx.store.webhooks.entries
        .find({ executionId: { $in: unrun } }, { projection: { executionId: 1 } })
        .toArray()
    ).map((e) => e.executionId),
  );
  let queued = 0;
  for (const target of targets) {
    const [last] = await ctx.store.webhooks.entries
      .find({ scenarioId: target.id }, { projection: { seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    queued += last?.seq ?? 0;
  }
  return {
    posts,
    scenarios: targets.length,
    accepted: accepted.length,
    refused: posts - accepted.length,
    allAnsweredMs: round(allAnsweredMs, 0),
    apiAndSendersCpuMs: round((cpu.user + cpu.system) / 1000, 0),
    acceptedPerSec: round(accepted.length / (allAnsweredMs / 1000), 1),
    answer: latency(answers.map((a) => a.ms)),
    drainMs: round(drainMs, 0),
    runsPerSec: round(ran / (drainMs / 1000), 1),
    lost: unrun.filter((id) => !stillQueued.has(id)).length,
    notRunWithinCap: unrun.length,
    duplicated: queued - accepted.length,
    apiDlqs: latency(apiLatencies),
  };
}

export async function measureWebhookBurst(ctx: BenchContext): Promise<WebhookBurstResult> {
  const { posts, scenarios, cap, capPosts, drainCapMs } = ctx.options.webhookBurst;
  const registry = createDefaultRegistry();
  const api = await startBenchApi(ctx.store, ctx.imex, ctx.orgId);
  try {
    const create = async (name: string, blueprint = fiveModuleBlueprint()) => {
      const s = await ctx.store.scenarios.create({
        orgId: ctx.orgId,
        name,
        blueprint: assertValid(blueprint, registry),
      });
      if (!s.hookId) throw new Error('a scenario with a webhook trigger got no hook');
      return { id: s.id, hookId: s.hookId };
    };
    const one = await create('bench: webhook burst');
    ctx.say(`webhook burst: ${posts} concurrent posts into one scenario`);
    const oneScenario = await burst(ctx, api, [one], posts, drainCapMs);
    ctx.checkpoint('webhookBurst', { oneScenario });

    const many = [];
    for (let i = 0; i < scenarios; i++) many.push(await create(`bench: webhook burst ${i + 1}`));
    ctx.say(`webhook burst: ${posts} concurrent posts across ${scenarios} scenarios`);
    const acrossScenarios = await burst(ctx, api, many, posts, drainCapMs);
    ctx.checkpoint('webhookBurst', { oneScenario, acrossScenarios });

    // The cap: a sequential scenario waiting on an open IE drains nothing.
    const parking = parkingBlueprint();
    const scenarioSettings = parking.metadata?.scenario as Record<string, unknown>;
    const capped = await create('bench: webhook cap', {
      ...parking,
      metadata: {
        ...parking.metadata,
        scenario: { ...scenarioSettings, sequential: true, imex: { webhookQueueCap: cap } },
      },
    } as typeof parking);
    const parked = await postWebhook(api, capped.hookId, parkingData(0));
    if (parked.status !== 202) throw new Error(`the parking payload was answered ${parked.status}`);
    for (const started = Date.now(); ;) {
      if ((await ctx.imex.coordinatorState(capped.id))?.blocked === 'incomplete-executions') break;
      if (Date.now() - started > 60_000) throw new Error('the capped scenario never waited on its IE');
      await sleep(200);
    }
    ctx.say(`webhook burst: ${capPosts} concurrent posts against a cap of ${cap}`);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: capPosts }, (_, i) => postWebhook(api, capped.hookId, parkingData(i + 1))),
    );
    const allAnsweredMs = performance.now() - started;
    const acceptedCount = answers.filter((a) => a.status === 202).length;
    const refused = answers.filter((a) => a.status === 429);
    const capFigures: CapFigures = {
      cap,
      posts: capPosts,
      accepted: acceptedCount,
      refused429: refused.length,
      retryAfter: refused.every((a) => a.retryAfter !== null),
      exact: acceptedCount === cap && refused.length === capPosts - cap,
      allAnsweredMs: round(allAnsweredMs, 0),
    };
    return { oneScenario, acrossScenarios, cap: capFigures };
  } finally {
    await api.close();
  }
}

/** Goal (issue 15): every post of each burst answered within 5 s, none lost, none duplicated, the cap exact. */
export const WEBHOOK_BURST_ANSWER_GOAL_MS = 5000;

export function webhookBurstGoal(r: WebhookBurstResult): { goal: string; met: boolean } {
  const bursts = [r.oneScenario, r.acrossScenarios];
  return {
    goal: `every post answered within ${WEBHOOK_BURST_ANSWER_GOAL_MS / 1000} s, none lost, none duplicated, the cap exact`,
    met:
      bursts.every(
        (b) =>
          b.allAnsweredMs <= WEBHOOK_BURST_ANSWER_GOAL_MS &&
          b.lost === 0 &&
          b.notRunWithinCap === 0 &&
          b.duplicated === 0 &&
          b.refused === 0,
      ) &&
      r.cap.exact &&
      r.cap.retryAfter,
  };
}

export function webhookBurstRows(r: WebhookBurstResult): [string, string, string][] {
  const goal = webhookBurstGoal(r);
  const burstRows = (label: string, b: BurstFigures): [string, string, string][] => [
    [
      `webhook burst ${label}: ${b.posts} posts, all answered in ms`,
      `${b.allAnsweredMs} (${b.accepted} accepted, ${b.acceptedPerSec}/s)`,
      `<= ${WEBHOOK_BURST_ANSWER_GOAL_MS}`,
    ],
    ['  answer p50 / p99 / max ms', `${b.answer.p50Ms} / ${b.answer.p99Ms} / ${b.answer.maxMs}`, ''],
    ['  CPU ms of the API and senders meanwhile', String(b.apiAndSendersCpuMs), ''],
    ['  drained: runs/s (ms until every run)', `${b.runsPerSec} (${b.drainMs})`, ''],
    ['  lost / duplicated (not run within the cap)', `${b.lost} / ${b.duplicated} (${b.notRunWithinCap})`, '0 / 0'],
    ['  GET /dlqs meanwhile p50 / p99 ms', `${b.apiDlqs.p50Ms} / ${b.apiDlqs.p99Ms}`, ''],
  ];
  return [
    ...burstRows('into 1 scenario', r.oneScenario),
    ...burstRows(`across ${r.acrossScenarios.scenarios} scenarios`, r.acrossScenarios),
    [
      `webhook cap ${r.cap.cap}: ${r.cap.posts} posts at once`,
      `${r.cap.accepted} accepted, ${r.cap.refused429} 429${r.cap.retryAfter ? ' with Retry-After' : ''}`,
      `exact ${r.cap.exact ? '(met)' : '(missed)'}`,
    ],
    ['webhook burst goal', goal.met ? 'met' : 'missed', goal.goal],
  ];
}

/** The phase alone (`--only webhook-burst`). */
export function formatWebhookBurst(r: WebhookBurstResult): string {
  return formatRows(webhookBurstRows(r));
}
