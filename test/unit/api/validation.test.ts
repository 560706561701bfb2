import { z } from 'zod';
import { ApiError, validationError } from '../../../src/api/errors';
import {
  blueprintField,
  settingsOf,
  toScenarioLog,
  toScenarioView,
  withSettings,
} from '../../../src/api/schemas/scenarios';
import { checkedJson, fieldErrors, integerIdParam, pagingQuery, querySchema } from '../../../src/api/validation';
import { blueprintSchema } from '../../../src/domain';

const parseBlueprint = (input: unknown) => blueprintSchema.parse(input);

describe('fieldErrors', () => {
  test('names body fields as paths, params and query keys as sent', () => {
    const body = z
      .strictObject({ a: z.object({ b: z.array(z.string()) }) })
      .safeParse({ a: { b: ['x', 1] }, c: 1, d: 2 });
    expect(fieldErrors('body', body.error!.issues)).toEqual([
      { path: 'a.b[1]', in: 'body', message: expect.any(String) },
      { path: 'c', in: 'body', message: 'unknown field' },
      { path: 'd', in: 'body', message: 'unknown field' },
    ]);
    const query = z.object(pagingQuery()).safeParse({ 'pg[limit]': '0' });
    expect(fieldErrors('query', query.error!.issues)).toEqual([
      { path: 'pg[limit]', in: 'query', message: 'must be an integer from 1 to 10000' },
    ]);
  });

  test('integer ids refuse what is not a positive integer', () => {
    for (const bad of ['abc', '', '0', '-1', '1.5', '9007199254740993'])
      expect(integerIdParam.safeParse(bad).success).toBe(false);
    expect(integerIdParam.parse('42')).toBe(42);
  });

  test('integer ids and paging take only the canonical spelling of a number', () => {
    for (const bad of ['+1', ' 1', '1 ', '01', '1.0', '1e0', '0x1', '١', ['1', '2'], { $gt: '0' }]) {
      expect(integerIdParam.safeParse(bad).success).toBe(false);
    }
    const paging = z.object(pagingQuery());
    expect(paging.parse({ 'pg[offset]': '0', 'pg[limit]': '25' })).toEqual({ 'pg[offset]': 0, 'pg[limit]': 25 });
    for (const bad of ['00', '+5', '5.0', '1e1']) {
      expect(paging.safeParse({ 'pg[offset]': bad }).success).toBe(false);
      expect(paging.safeParse({ 'pg[limit]': bad }).success).toBe(false);
    }
  });

  test('query schemas refuse unknown keys by name: object syntax never passes as "no filter"', () => {
    const query = querySchema({ scenarioId: integerIdParam.optional() });
    const result = query.safeParse({ 'scenarioId[$gt]': '0', 'status[]': 'x' });
    expect(fieldErrors('query', result.error!.issues)).toEqual([
      { path: 'scenarioId[$gt]', in: 'query', message: 'unknown field' },
      { path: 'status[]', in: 'query', message: 'unknown field' },
    ]);
  });

  test('checkedJson names a forbidden key by its path before the schema copies the value', () => {
    const body = z.strictObject({ bundles: checkedJson(z.record(z.string(), z.unknown())).optional() });
    const result = body.safeParse(JSON.parse('{"bundles":{"1":{"value":{}},"__proto__":{"1":{"value":1}}}}'));
    expect(fieldErrors('body', result.error!.issues)).toEqual([
      { path: 'bundles.__proto__', in: 'body', message: expect.stringContaining('"__proto__" is not allowed') },
    ]);
  });
});

describe('blueprintField', () => {
  const lookup = {
    get: (type: string) =>
      type === 'gateway:CustomWebHook'
        ? { parametersSchema: z.any(), mapperSchema: z.any(), trigger: true }
        : undefined,
  };
  const field = z.object({ blueprint: blueprintField(lookup) });

  test('accepts an object or its JSON text and fills Make’s defaults', () => {
    const blueprint = { flow: [{ id: 1, module: 'gateway:CustomWebHook' }] };
    for (const input of [blueprint, JSON.stringify(blueprint), JSON.stringify({ blueprint })]) {
      const parsed = field.parse({ blueprint: input });
      expect(parsed.blueprint.metadata.scenario.dlq).toBe(false);
    }
  });

  test("names the module's field below `blueprint`, with the module id", () => {
    const result = field.safeParse({ blueprint: { flow: [{ id: 7, module: 'x:Y' }] } });
    expect(fieldErrors('body', result.error!.issues)).toEqual([
      {
        path: 'blueprint.flow[0].module',
        in: 'body',
        moduleId: 7,
        message: 'module 7 (x:Y): unknown module type "x:Y"',
      },
    ]);
    const text = field.safeParse({ blueprint: '{' });
    expect(fieldErrors('body', text.error!.issues)).toEqual([
      { path: 'blueprint', in: 'body', message: expect.stringMatching(/^is not valid JSON/) },
    ]);
  });

  test('refuses prototype and $ keys, in an object and in JSON text alike, naming the path', () => {
    const text = '{"flow":[{"id":1,"module":"gateway:CustomWebHook","mapper":{"__proto__":{},"$x":1}}]}';
    for (const blueprint of [text, JSON.parse(text) as unknown]) {
      const result = field.safeParse({ blueprint });
      expect(fieldErrors('body', result.error!.issues).map((e) => e.path)).toEqual([
        'blueprint.flow[0].mapper.__proto__',
        'blueprint.flow[0].mapper.$x',
      ]);
    }
  });
});

describe('scenario views', () => {
  const blueprint = parseBlueprint({
    flow: [
      { id: 1, module: 'gateway:CustomWebHook' },
      { id: 2, module: 'http:ActionSendData', version: 3 },
      { id: 3, module: 'http:ActionSendData', version: 3 },
    ],
  });
  const scenario = {
    id: 4,
    orgId: 2,
    name: 'S',
    blueprint,
    isActive: false,
    deactivationReason: 'storage full',
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-02T00:00:00Z'),
  };

  test("show Make's fields, used packages once each, and the deactivation reason", () => {
    expect(toScenarioView(scenario, { dlqCount: 3, isWaitingOnIncompleteExecutions: true })).toMatchObject({
      id: 4,
      companyId: 2,
      dlqCount: 3,
      isWaitingOnIncompleteExecutions: true,
      usedPackages: ['gateway', 'http'],
      deactivationReason: 'storage full',
      created: '2026-01-01T00:00:00.000Z',
      lastEdit: '2026-01-02T00:00:00.000Z',
    });
  });

  test('settings merge into metadata.scenario without touching the rest', () => {
    const merged = withSettings(blueprint, { dlq: true });
    expect(settingsOf(merged)).toMatchObject({ dlq: true, maxErrors: 3 });
    expect(merged.flow).toBe(blueprint.flow);
    expect(settingsOf(blueprint).dlq).toBe(false);
    expect(withSettings(blueprint, undefined)).toBe(blueprint);
  });

  test("logs carry Make's status codes", () => {
    const base = {
      orgId: 1,
      scenarioId: 1,
      startedAt: new Date(0),
      endedAt: new Date(5),
      durationMs: 5,
      operations: 2,
      trigger: 'manual' as const,
      log: [],
    };
    expect(toScenarioLog({ ...base, executionId: 'e1', status: 'success' }).status).toBe(1);
    expect(toScenarioLog({ ...base, executionId: 'e2', status: 'warning', ieId: 'i' })).toMatchObject({
      status: 2,
      ieId: 'i',
    });
    expect(toScenarioLog({ ...base, executionId: 'e3', status: 'error' }).status).toBe(3);
  });
});

test('ApiError bodies carry detail only when there is one', () => {
  expect(new ApiError(404, 'IM_NOT_FOUND', 'gone').toBody()).toEqual({ code: 'IM_NOT_FOUND', message: 'gone' });
  expect(validationError([{ path: 'a', message: 'bad' }]).toBody()).toEqual({
    code: 'IM_VALIDATION',
    message: 'invalid request: a',
    detail: [{ path: 'a', message: 'bad' }],
  });
});
