/**
 * Make's scheduling types on a real Temporal server: a Make export created through the API keeps
 * its `scheduling` (applied, not dropped), and the scenario's Temporal Schedule has the spec
 * scenario-scheduling.ts maps it to; a scheduling Make would refuse answers 400 naming the field.
 */
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { webhookTrigger } from '../helpers/blueprints';
import { scenarioScheduleId } from '../../src/domain';
import { startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let token: string;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  api = await startApi(harness.store, harness.imex, { webhooks: harness.imex, triggers: harness.imex });
  token = (
    await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['scenarios:read', 'scenarios:write'] })
  ).token;
});
afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await env?.close();
});

/** A Make export (`{ blueprint, scheduling }`) as the CLI sends it: the file's text. */
function makeExport(name: string, scheduling: unknown): string {
  const blueprint = {
    name,
    flow: [
      webhookTrigger,
      { id: 2, module: 'util:SetVariable2', version: 1, parameters: {}, mapper: { name: 'x', value: 1 } },
    ],
    metadata: { scenario: {} },
  };
  return JSON.stringify({ blueprint, scheduling });
}

async function scheduleOf(scenarioId: number) {
  return env.client.schedule.getHandle(scenarioScheduleId(harness.taskQueue, scenarioId)).describe();
}

const range = (start: number | string, end: number | string = start, step = 1) => ({ start, end, step });

test("a Make export's weekly scheduling with a restrict window becomes the Schedule's calendar, paused while inactive", async () => {
  const scheduling = {
    type: 'indefinitely',
    interval: 900,
    restrict: [{ days: [1, 2, 3, 4, 5], time: ['09:00', '17:00'] }],
    timezone: 'Europe/Prague',
  };
  const created = await api.call('POST', '/scenarios', {
    token,
    body: { blueprint: makeExport('Office hours', scheduling) },
  });
  expect(created.status).toBe(200);
  expect(created.body.scenario.scheduling).toEqual(scheduling);
  const schedule = await scheduleOf(created.body.scenario.id);
  expect(schedule.state.paused).toBe(true);
  expect(schedule.spec.timezone).toBe('Europe/Prague');
  expect(schedule.spec.intervals ?? []).toEqual([]);
  expect(schedule.spec.calendars).toEqual([
    expect.objectContaining({
      minute: [range(0, 45, 15)],
      hour: [range(9, 16)],
      dayOfWeek: [range('MONDAY', 'FRIDAY')],
    }),
  ]);
});

test('once, daily and monthly exports each get their calendar; immediately gets no Schedule', async () => {
  const once = await api.call('POST', '/scenarios', {
    token,
    body: { blueprint: makeExport('Once', { type: 'once', date: '2031-05-04T03:02:01Z' }) },
  });
  expect((await scheduleOf(once.body.scenario.id)).spec.calendars).toEqual([
    expect.objectContaining({
      second: [range(1)],
      minute: [range(2)],
      hour: [range(3)],
      dayOfMonth: [range(4)],
      month: [range('MAY')],
      year: [range(2031)],
    }),
  ]);

  const monthly = await api.call('POST', '/scenarios', {
    token,
    body: { blueprint: makeExport('Monthly', { type: 'monthly', days: [1, 15], time: '06:30' }) },
  });
  expect((await scheduleOf(monthly.body.scenario.id)).spec.calendars).toEqual([
    expect.objectContaining({ minute: [range(30)], hour: [range(6)], dayOfMonth: [range(1), range(15)] }),
  ]);

  // The body's own scheduling wins over the export's.
  const daily = await api.call('POST', '/scenarios', {
    token,
    body: { blueprint: makeExport('Daily', { type: 'on-demand' }), scheduling: { type: 'daily', time: '23:59' } },
  });
  expect(daily.body.scenario.scheduling).toEqual({ type: 'daily', time: '23:59' });
  expect((await scheduleOf(daily.body.scenario.id)).spec.calendars).toEqual([
    expect.objectContaining({ minute: [range(59)], hour: [range(23)] }),
  ]);

  const instant = await api.call('POST', '/scenarios', {
    token,
    body: { blueprint: makeExport('Instant', { type: 'immediately' }) },
  });
  expect(instant.body.scenario.scheduling).toEqual({ type: 'immediately' });
  await expect(scheduleOf(instant.body.scenario.id)).rejects.toThrow();
});

test("an export's scheduling that cannot run answers 400 naming the field, and nothing is created", async () => {
  const before = (await harness.store.scenarios.list(harness.orgId)).length;
  const response = await api.call('POST', '/scenarios', {
    token,
    body: {
      blueprint: makeExport('Never', { type: 'daily', time: '08:00', restrict: [{ time: ['09:00', '17:00'] }] }),
    },
  });
  expect(response.status).toBe(400);
  expect(response.body.detail).toEqual([
    expect.objectContaining({
      path: 'scheduling.restrict',
      message: 'no time is left to run inside the restrict windows',
    }),
  ]);
  expect(await harness.store.scenarios.list(harness.orgId)).toHaveLength(before);
});
