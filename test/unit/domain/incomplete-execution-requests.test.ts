/**
 * The IE workflow checks its requests without zod (src/domain/incomplete-execution-requests.ts):
 * on every input it must give the verdict and the messages the requests' zod schemas give, and
 * a blueprint it lets through must parse, with Make's defaults, to what zod's parse gave.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import {
  blueprintSchema,
  checkIncompleteExecutionRequest,
  deleteRequestSchema,
  patchRequestSchema,
  retryRequestSchema,
} from '../../../src/domain';

type Kind = 'retry' | 'resolve' | 'patch' | 'delete';

/** What the workflow answered before, with zod. */
function zodVerdict(
  kind: Kind,
  raw: unknown,
): { ok: boolean; reason?: string; parsed?: z.output<typeof patchRequestSchema> } {
  const schema = kind === 'delete' ? deleteRequestSchema : kind === 'retry' ? retryRequestSchema : patchRequestSchema;
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, parsed: parsed.data };
  return {
    ok: false,
    reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '),
  };
}

function expectSameVerdict(kind: Kind, raw: unknown): void {
  const expected = zodVerdict(kind, raw);
  const checked = checkIncompleteExecutionRequest(kind, raw);
  if (!expected.ok) {
    expect(checked).toEqual({ ok: false, reason: expected.reason });
    return;
  }
  expect(checked.ok).toBe(true);
  if (!checked.ok) return;
  const { blueprint, ...rest } = checked.request;
  const { blueprint: parsedBlueprint, ...parsedRest } = expected.parsed ?? {};
  expect(JSON.parse(JSON.stringify(rest))).toEqual(JSON.parse(JSON.stringify(parsedRest)));
  // The patch activity parses the blueprint the workflow passes on: the same as zod's parse here.
  if (parsedBlueprint !== undefined) expect(blueprintSchema.parse(blueprint)).toEqual(parsedBlueprint);
  else expect(blueprint).toBeUndefined();
}

const weird = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -3, max: 150 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }),
  fc.constantFrom(2 ** 60, -(2 ** 60), 0, 1.5),
  fc.string({ maxLength: 4 }),
  fc.array(fc.integer({ min: -1, max: 2 }), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom('a', 'b'), fc.integer(), { maxKeys: 2 }),
);
/** Mostly a value of the right shape, sometimes anything. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: weird });
const someOf = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields, { requiredKeys: [] });

const duration = fc.oneof(
  fc.integer({ min: -2, max: 100_000 }),
  fc.constantFrom('1m', '10s', '250ms', 'x', '', '3h', 1.5, 2 ** 60, -(2 ** 60), null),
);
const schedule = fc.oneof(
  fc.array(duration, { maxLength: 4 }),
  fc.constantFrom('1m,10m', 'x', '', ' ', '1m,,2m', '5s'),
  fc.array(fc.constant(1), { minLength: 101, maxLength: 101 }),
);
const policy = fc.dictionary(
  fc.constantFrom('DataError', 'ConnectionError', 'NotACategory'),
  maybe(
    someOf({
      inRun: maybe(
        someOf({
          retry: maybe(fc.boolean()),
          maxAttempts: maybe(fc.integer({ min: 0, max: 101 })),
          initialIntervalMs: maybe(fc.integer({ min: -1, max: 10 })),
          backoff: maybe(fc.double({ min: 0, max: 101, noNaN: true })),
          maxIntervalMs: maybe(fc.integer({ min: -1, max: 10 })),
          maxRetryAfterMs: maybe(fc.integer({ min: -1, max: 10 })),
          extra: weird,
        }),
      ),
      outcome: maybe(fc.constantFrom('fail', 'park-manual', 'nope')),
      extra: weird,
    }),
  ),
  { maxKeys: 3 },
);
const scenario = someOf({
  dlq: maybe(fc.boolean()),
  sequential: maybe(fc.boolean()),
  maxErrors: maybe(fc.integer({ min: -1, max: 5 })),
  roundtrips: maybe(fc.integer({ min: 0, max: 3 })),
  slots: maybe(fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 3 }))),
  freshVariables: maybe(fc.boolean()),
  imex: maybe(
    someOf({
      policy: maybe(policy),
      schedule: maybe(schedule),
      webhookQueueCap: maybe(fc.integer({ min: -1, max: 5 })),
      extra: weird,
    }),
  ),
  other: weird,
});
const condition = someOf({ a: weird, o: maybe(fc.constantFrom('text:equal', '', 'exist')), b: weird });
const filter = someOf({
  name: maybe(fc.string({ maxLength: 3 })),
  conditions: maybe(fc.array(maybe(fc.array(maybe(condition), { maxLength: 2 })), { maxLength: 2 })),
});

function moduleAt(depth: number): fc.Arbitrary<unknown> {
  const nested = depth === 0 ? weird : maybe(fc.array(maybe(moduleAt(depth - 1)), { maxLength: 2 }));
  return someOf({
    id: maybe(fc.integer({ min: 0, max: 4 })),
    module: maybe(fc.constantFrom('http:ActionSendData', '', 'json:ParseJSON')),
    version: maybe(fc.integer({ min: 0, max: 2 })),
    parameters: maybe(fc.constant({})),
    mapper: maybe(fc.dictionary(fc.constantFrom('url', 'x'), fc.string({ maxLength: 3 }), { maxKeys: 1 })),
    metadata: maybe(fc.constant({ designer: { x: 1 } })),
    filter: maybe(fc.oneof(fc.constant(null), filter)),
    onerror: fc.oneof(fc.constant(null), nested),
    routes: fc.oneof(
      fc.constant(null),
      depth === 0
        ? weird
        : maybe(
            fc.array(maybe(someOf({ flow: maybe(fc.array(moduleAt(depth - 1), { maxLength: 2 })) })), { maxLength: 2 }),
          ),
    ),
    extra: weird,
  });
}

const blueprint = someOf({
  name: maybe(fc.string({ maxLength: 3 })),
  flow: maybe(fc.array(maybe(moduleAt(2)), { maxLength: 3 })),
  metadata: maybe(someOf({ instant: maybe(fc.boolean()), version: maybe(fc.integer()), scenario: maybe(scenario) })),
  extra: weird,
});

const request = someOf({
  requestId: maybe(fc.oneof(fc.string({ maxLength: 3 }), fc.constant('x'.repeat(201)))),
  actor: maybe(
    someOf({
      type: maybe(fc.constantFrom('token', 'temporal')),
      tokenId: maybe(fc.oneof(fc.string({ maxLength: 3 }), fc.constant('t'.repeat(101)))),
      name: maybe(fc.oneof(fc.string({ maxLength: 3 }), fc.constant('n'.repeat(201)))),
      extra: weird,
    }),
  ),
  reason: maybe(fc.oneof(fc.string({ maxLength: 3 }), fc.constant('r'.repeat(1001)))),
  blueprint: maybe(
    fc.oneof(
      blueprint,
      blueprint.map((b) => JSON.stringify(b)),
      fc.constant('{not json'),
    ),
  ),
  failer: maybe(fc.integer({ min: -1, max: 4 })),
  from: maybe(fc.integer({ min: -1, max: 4 })),
  bundles: maybe(
    fc.dictionary(
      fc.constantFrom('1', '2', 'a', '02'),
      maybe(
        someOf({
          value: maybe(
            fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(null), fc.array(fc.integer(), { maxLength: 1 })),
          ),
          error: maybe(fc.string({ maxLength: 3 })),
          extra: weird,
        }),
      ),
      { maxKeys: 3 },
    ),
  ),
  unknownField: weird,
});

/** Signals and updates arrive as JSON. */
const asJson = (value: unknown) => (value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown));

describe('checkIncompleteExecutionRequest gives the verdicts of the zod schemas', () => {
  test.each<Kind>(['patch', 'resolve', 'retry', 'delete'])('%s: on generated requests', (kind) => {
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: request }, { weight: 1, arbitrary: weird }), (raw) =>
        expectSameVerdict(kind, asJson(raw)),
      ),
      { numRuns: kind === 'patch' ? 4000 : 1000 },
    );
  });

  test('on hand-picked requests', () => {
    const flow = [
      { id: 1, module: 'gateway:CustomWebHook' },
      { id: 2, module: 'http:ActionSendData' },
    ];
    const cases: unknown[] = [
      undefined,
      null,
      {},
      [],
      'text',
      { requestId: '' },
      { blueprint: { flow } },
      { blueprint: JSON.stringify({ flow }) },
      { blueprint: { flow: [] } },
      { blueprint: '{"flow":[]}' },
      { blueprint: 'nope' },
      { blueprint: { flow, metadata: { scenario: { imex: { schedule: [60_000, '10m', -1] } } } } },
      { blueprint: { flow, metadata: { scenario: { imex: { schedule: [1, 'x'] } } } } },
      { blueprint: { flow, metadata: { scenario: { imex: { schedule: '1m,10m' } } } } },
      {
        blueprint: { flow, metadata: { scenario: { imex: { policy: { Nope: {}, DataError: { inRun: { x: 1 } } } } } } },
      },
      { blueprint: { flow: [{ id: 1, module: 'a', filter: { conditions: [[{ o: '' }]] } }] } },
      { blueprint: { flow: [{ id: 1.5, module: 'a', routes: [{ flow: [{ id: 0 }] }], onerror: [{}] }] } },
      { bundles: { a: 1, '2': {}, '3': { value: [] }, '4': { error: 'x' }, '5': { value: { ok: true } } } },
      { failer: 0, x: 1, y: 2 },
      { from: 2 },
      { from: 0 },
      { from: 1.5, blueprint: { flow } },
      { actor: { type: 'temporal' } },
      { actor: { type: 'token', tokenId: 't', name: 'n', extra: 1 }, reason: 'why' },
    ];
    for (const kind of ['patch', 'retry', 'delete'] as const) for (const raw of cases) expectSameVerdict(kind, raw);
  });
});
