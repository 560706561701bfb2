/**
 * Tracing on, against a real local HTTP server that receives OTLP/HTTP (JSON) as a collector
 * would: one webhook's request, the run started from the queue for its payload, the module
 * activity, the park, the IE workflow the park starts and the attempt an operator's retry runs
 * all share one trace id; the operator's log line of the park carries that trace id. The histories traced runs leave replay with tracing
 * off (IMEX_RECORD_HISTORIES=1 adds them to the replay fixtures, as replay.test.ts does).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { ieWorkflowId, runWorkflowId } from '../../src/domain';
import { createLogger } from '../../src/logger';
import { startTracing, type ImexTracing } from '../../src/observability/tracing';
import { waitFor } from '../../src/stack/wait';
import { imexWorkflowBundle, startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { allScopes, startApi, type RunningApi } from './support/api';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A collector's OTLP/HTTP traces endpoint: keeps every span it is sent. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly contentTypes = new Set<string>();
  private server?: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.contentTypes.add(String(req.headers['content-type']));
        if (req.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as {
            resourceSpans?: { scopeSpans?: { spans?: ReceivedSpan[] }[] }[];
          };
          for (const rs of body.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? []) this.spans.push(...(ss.spans ?? []));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/v1/traces`;
    return this;
  }

  named(name: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.name === name);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

let env: TestEnv;
let receiver: OtlpReceiver;
let tracing: ImexTracing;
let harness: ImexHarness;
let api: RunningApi;
let server: ScriptedHttpServer;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  env = await openTestEnv();
  receiver = await new OtlpReceiver().start();
  tracing = await startTracing({ serviceName: 'imex-test', url: receiver.url });
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  harness = await startImexHarness(env, {
    schedule: [600_000],
    tracing,
    logger: createLogger('info', 'imex', logs),
  });
  api = await startApi(harness.store, harness.imex, {
    webhooks: harness.imex,
    triggers: harness.imex,
    operations: { tracer: tracing.tracer },
  });
  server = await new ScriptedHttpServer().start();
}, 180_000);
afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await tracing?.shutdown();
  await receiver?.stop();
  await server?.stop();
  await env?.close();
});

test("one webhook's request, its run, the park, the IE's workflow and its attempt share a trace id, and the park's log line has it", async () => {
  const token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
  server.script('/down', { status: 503 });
  const created = await api.call('POST', '/scenarios', {
    token,
    body: {
      name: 'traced',
      blueprint: {
        name: 'traced',
        flow: [webhookTrigger, server.httpModule(2, '/down', { data: '{"n":{{1.n}}}' })],
        metadata: { scenario: { dlq: true } },
      },
    },
  });
  expect(created.status).toBe(200);
  const scenario = created.body.scenario as { id: number; hookPath: string };
  expect((await api.call('POST', `/scenarios/${scenario.id}/start`, { token })).status).toBe(200);

  const origin = new URL(api.url).origin;
  /** Posts one payload; waits for its IE (found by the execution id the 202 names). */
  async function parkOne(n: number, headers: Record<string, string> = {}) {
    const hook = await fetch(`${origin}${scenario.hookPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ n }),
    });
    expect(hook.status).toBe(202);
    const { executionId } = (await hook.json()) as { executionId: string };
    const ie = await waitFor(
      `the park of payload ${n}`,
      async () => {
        const doc = await harness.store.incompleteExecutions.collection.findOne({ executionId });
        return doc?.status === 'pending' ? doc : undefined;
      },
      { timeoutMs: 60_000 },
    );
    return { executionId, ieId: ie._id };
  }
  // Each payload's run joins its own request's trace (the run starts from the queue after the
  // answer: directly, or through a sequential scenario's coordinator, which has a trace of its own).
  await parkOne(1);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const { executionId, ieId } = await parkOne(2, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });

  const inTrace = (name: string) => receiver.spans.some((s) => s.name === name && s.traceId === traceId);
  const expected = [
    // The request continues the caller's trace.
    'POST /hooks/:hookId',
    'RunWorkflow:scenarioRun',
    'RunActivity:runModule',
    'RunActivity:parkIncompleteExecution',
    'StartWorkflow:incompleteExecution',
    'RunActivity:syncIncompleteExecution',
  ];
  await waitFor(
    "the spans of the request, the run, the park and the IE workflow in the caller's trace",
    async () => {
      await tracing.flush();
      return expected.every(inTrace) ? true : undefined;
    },
    { timeoutMs: 30_000 },
  ).catch((err: unknown) => {
    const names = receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name);
    throw new Error(`${String(err)}; spans in the trace: ${names.join(', ')}`);
  });
  expect(receiver.contentTypes).toContain('application/json');

  // The operator's line for the park, with the ids and the trace.
  const parkLine = logLines.find((l) => l.ieId === ieId && /parked/.test(String(l.msg)));
  expect(parkLine).toMatchObject({
    orgId: harness.orgId,
    scenarioId: scenario.id,
    ieId,
    executionId,
    traceId,
    outcome: 'stored',
    errorType: 'ConnectionError',
  });

  // Tracing can be turned off again: what the traced run left behind replays without it.
  const histories = await Promise.all(
    Object.entries({
      // A scenario that is not sequential has no coordinator: its runs start directly. The
      // coordinator's traced fixture (scenario-coordinator-traced) was recorded before that.
      'scenario-run-traced': runWorkflowId(executionId),
      'incomplete-execution-traced': ieWorkflowId(ieId),
    }).map(async ([name, workflowId]) => ({
      name,
      workflowId,
      history: await env.client.workflow.getHandle(workflowId).fetchHistory(),
    })),
  );
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await imexWorkflowBundle(), replayName: 'imex-replay-untraced' },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);

  // The service is back; an operator retries. The attempt (a run of the IE's workflow, from the
  // failed module) joins the webhook's trace too, so one trace goes from the request to the
  // attempt that resolved it. The retry request has a trace of its own (its server span).
  server.script('/down', { status: 200, body: { ok: true } });
  const spansBefore = receiver.spans.filter((s) => s.traceId === traceId).length;
  expect((await api.call('POST', `/dlqs/${ieId}/retry`, { token })).status).toBe(200);
  await waitFor(
    'the IE resolved by the retry',
    async () => {
      const doc = await harness.store.incompleteExecutions.collection.findOne({ _id: ieId });
      return doc?.status === 'resolved' ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const attemptSpans = async () => {
    await tracing.flush();
    const spans = receiver.spans.filter((s) => s.traceId === traceId).slice(spansBefore);
    return spans.some((s) => s.name === 'StartChildWorkflow:scenarioRun') &&
      spans.some((s) => s.name === 'RunWorkflow:scenarioRun') &&
      spans.some((s) => s.name === 'RunActivity:runModule')
      ? spans
      : undefined;
  };
  const attempt = await waitFor("the attempt's spans in the webhook's trace", attemptSpans, {
    timeoutMs: 30_000,
  }).catch((err: unknown) => {
    const names = receiver.spans
      .filter((s) => s.traceId === traceId)
      .slice(spansBefore)
      .map((s) => s.name);
    throw new Error(`${String(err)}; spans added to the trace: ${names.join(', ')}`);
  });
  // The attempt's run is a child of the IE workflow's start of it: linked, not merely the same id.
  const start = attempt.find((s) => s.name === 'StartChildWorkflow:scenarioRun');
  expect(attempt.some((s) => s.name === 'RunWorkflow:scenarioRun' && s.parentSpanId === start?.spanId)).toBe(true);

  if (process.env.IMEX_RECORD_HISTORIES === '1') {
    const fixtures = path.resolve(__dirname, '../fixtures/histories');
    for (const { name, history } of histories) {
      const file = path.join(fixtures, `${name}.history.pb`);
      if (!fs.existsSync(file)) fs.writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
    }
  }
});

test("a payload delivered later, outside any request (reactivation, a run's end, maintenance), starts its run in the trace of the request that queued it", async () => {
  const scenarioId = await harness.createScenario({
    name: 'queued, delivered later',
    flow: [webhookTrigger, server.httpModule(2, '/later', { data: '{"n":{{1.n}}}' })],
  });
  server.script('/later', { status: 200, body: { ok: true } });
  // Queued as the API queues it, with the accepting request's trace, and no delivery yet.
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const queued = await harness.store.webhooks.enqueue({
    orgId: harness.orgId,
    scenarioId,
    cap: 10,
    data: JSON.stringify({ n: 7 }),
    traceparent: `00-${traceId}-b7ad6b7169203331-01`,
  });
  expect(queued.accepted).toBe(true);
  // Delivered by a wake outside any request (as after a scenario is started again).
  await harness.imex.syncScenarioTriggers(harness.orgId, scenarioId);
  await waitFor(
    "the queued payload's run in the queuing request's trace",
    async () => {
      await tracing.flush();
      const names = receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name);
      return names.includes('StartWorkflow:scenarioRun') && names.includes('RunActivity:runModule') ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
});
