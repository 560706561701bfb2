/**
 * The check of the requests an incomplete execution's workflow takes (retry, resolve, patch,
 * delete, as signals and updates): the same verdicts and messages as their zod schemas
 * (schemas/incomplete-execution.ts, which the API uses), without zod, which workflow code must
 * not load. A patched blueprint is judged here as Make's blueprint schema judges it; the activity
 * that applies the patch parses it (Make's defaults) and validates it against the module registry.
 */
import { errorCategories } from './errors';
import {
  arrayOf,
  booleanValue,
  customValue,
  enumValue,
  formatIssues,
  isJsonObject,
  literalValue,
  nullable,
  numberValue,
  objectOf,
  optional,
  partialRecordOf,
  preprocessed,
  recordOf,
  stringValue,
  unionOf,
  unknownValue,
  type Check,
} from './json-checks';
import { IE_CHANGE_REASON_MAX_CHARS } from './ie-changes';
import { parkOutcomes } from './policy';
import { parseDuration } from './schedule';

/** A request that passed the check: as sent, with a blueprint sent as JSON text parsed. */
export interface CheckedIncompleteExecutionRequest {
  requestId?: string;
  actor?: { type: 'token'; tokenId: string; name: string };
  reason?: string;
  /** Make's blueprint as sent (not yet given Make's defaults: the patch activity parses it). */
  blueprint?: Record<string, unknown>;
  failer?: number;
  bundles?: Record<string, { value?: Record<string, unknown>; error?: unknown }>;
  /** A retry's first module, when not the failed one (src/domain/retry-plan.ts). */
  from?: number;
}

export type CheckedRequestResult =
  { ok: true; request: CheckedIncompleteExecutionRequest } | { ok: false; reason: string };

export const BUNDLE_KEY_MESSAGE = 'bundle keys are module ids';
export const BUNDLE_VALUE_MESSAGE =
  'must be a JSON object: the bundle a module outputs (null, arrays and other values are refused)';
export const BUNDLE_VALUE_REQUIRED_MESSAGE = 'required: the bundle the module output';
export const FLOW_EMPTY_MESSAGE = 'a scenario needs at least one module (its trigger)';
export const CONDITION_OPERATOR_MESSAGE = 'a condition needs an operator (o)';

// --- Make's blueprint, as schemas/blueprint.ts judges it ---

const int = (rules: { min?: number; gt?: number; max?: number } = {}) => numberValue({ int: true, ...rules });
const jsonRecord = recordOf(unknownValue);
const objectOrEmpty = preprocessed((value) => value ?? {}, jsonRecord);
const optionalOrNull = (check: Check): Check =>
  preprocessed((value) => (value === null ? undefined : value), optional(check));

const filterCondition = objectOf(
  { a: unknownValue, o: stringValue({ min: 1, message: CONDITION_OPERATOR_MESSAGE }), b: unknownValue },
  'loose',
);
const filter = objectOf(
  { name: optional(stringValue()), conditions: optional(arrayOf(arrayOf(filterCondition))) },
  'loose',
);

const blueprintModule: Check = objectOf(
  {
    id: int({ gt: 0 }),
    module: stringValue({ min: 1 }),
    version: optional(int({ gt: 0 })),
    parameters: objectOrEmpty,
    mapper: objectOrEmpty,
    metadata: optional(jsonRecord),
    filter: optionalOrNull(filter),
    onerror: optionalOrNull((value) => arrayOf(blueprintModule)(value)),
    routes: optionalOrNull((value) => arrayOf(objectOf({ flow: optional(arrayOf(blueprintModule)) }, 'loose'))(value)),
  },
  'loose',
);

const inRunOverride = objectOf(
  {
    retry: optional(booleanValue),
    maxAttempts: optional(int({ min: 1, max: 100 })),
    initialIntervalMs: optional(int({ min: 0 })),
    backoff: optional(numberValue({ min: 1, max: 100 })),
    maxIntervalMs: optional(int({ min: 0 })),
    maxRetryAfterMs: optional(int({ min: 0 })),
  },
  'strict',
);
const policyOverrides = partialRecordOf(
  errorCategories,
  objectOf({ inRun: optional(inRunOverride), outcome: optional(enumValue(parkOutcomes)) }, 'strict'),
);

const durationText = (value: unknown) =>
  typeof value !== 'string' ? stringValue()(value) : parseDuration(value) === undefined ? [notParsed] : [];
const durationsText = (value: unknown) => {
  if (typeof value !== 'string') return stringValue()(value);
  const parts = value.trim() === '' ? [] : value.split(',');
  return parts.some((part) => parseDuration(part) === undefined) ? [notParsed] : [];
};
// The message never shows: a union that fails this way says "Invalid input".
const notParsed = { path: [], message: 'not a duration', aborts: true };
const retrySchedule = unionOf([arrayOf(unionOf([int({ min: 0 }), durationText]), { max: 100 }), durationsText]);

const scenarioImex = objectOf(
  {
    policy: optional(policyOverrides),
    schedule: optional(retrySchedule),
    webhookQueueCap: optional(int({ gt: 0 })),
  },
  'strict',
);

const scenarioSettings = objectOf(
  {
    dlq: optional(booleanValue),
    sequential: optional(booleanValue),
    dataloss: optional(booleanValue),
    confidential: optional(booleanValue),
    maxErrors: optional(int({ min: 0 })),
    autoCommit: optional(booleanValue),
    autoCommitTriggerLast: optional(booleanValue),
    roundtrips: optional(int({ min: 1 })),
    slots: optional(nullable(int({ gt: 0 }))),
    freshVariables: optional(booleanValue),
    imex: optional(scenarioImex),
  },
  'loose',
);

const blueprintMetadata = objectOf(
  {
    instant: optional(booleanValue),
    version: optional(numberValue()),
    designer: unknownValue,
    scenario: optional(scenarioSettings),
  },
  'loose',
);

/** Make's blueprint schema's verdict (schemas/blueprint.ts), without its defaults. */
export const checkBlueprint: Check = objectOf(
  {
    name: optional(stringValue()),
    flow: arrayOf(blueprintModule, { min: 1, minMessage: FLOW_EMPTY_MESSAGE }),
    metadata: optional(blueprintMetadata),
  },
  'loose',
);

// --- the requests ---

/** Make's API sends a blueprint as JSON text; text that is not JSON stays text (and is refused). */
function parsedJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

const requestNote = {
  requestId: optional(stringValue({ min: 1, max: 200 })),
  actor: optional(
    objectOf(
      { type: literalValue('token'), tokenId: stringValue({ min: 1, max: 100 }), name: stringValue({ max: 200 }) },
      'strict',
    ),
  ),
  reason: optional(stringValue({ max: IE_CHANGE_REASON_MAX_CHARS })),
};

const bundleEntry = objectOf(
  { value: optional(customValue(isJsonObject, BUNDLE_VALUE_MESSAGE)), error: unknownValue },
  'loose',
  (entry) =>
    entry.value === undefined && entry.error === undefined
      ? [{ path: ['value'], message: BUNDLE_VALUE_REQUIRED_MESSAGE, aborts: true }]
      : [],
);

const deleteRequest = objectOf(requestNote, 'strict');
const retryRequest = objectOf(
  {
    ...requestNote,
    from: optional(int({ gt: 0 })),
    blueprint: optional(preprocessed(parsedJsonText, checkBlueprint)),
  },
  'strict',
);
const patchRequest = objectOf(
  {
    ...requestNote,
    blueprint: optional(preprocessed(parsedJsonText, checkBlueprint)),
    failer: optional(int({ gt: 0 })),
    bundles: optional(recordOf(bundleEntry, stringValue({ pattern: /^\d+$/, patternMessage: BUNDLE_KEY_MESSAGE }))),
  },
  'strict',
);

/**
 * Checks a request as the workflow receives it (absent: `{}`). A delete takes only the note
 * (requestId, actor, reason); a retry also its start (`from`) and the blueprint to run; a resolve
 * and a patch take the edits.
 */
export function checkIncompleteExecutionRequest(
  kind: 'retry' | 'resolve' | 'patch' | 'delete',
  raw: unknown,
): CheckedRequestResult {
  const value = raw ?? {};
  const check = kind === 'delete' ? deleteRequest : kind === 'retry' ? retryRequest : patchRequest;
  const issues = check(value);
  if (issues.length > 0) return { ok: false, reason: formatIssues(issues) };
  const request = { ...(value as CheckedIncompleteExecutionRequest) };
  if (typeof request.blueprint === 'string')
    request.blueprint = parsedJsonText(request.blueprint) as Record<string, unknown>;
  return { ok: true, request };
}
