/** The requests an incomplete execution takes (retry, resolve, patch, delete), as zod. */
import { z } from 'zod';
import {
  BUNDLE_KEY_MESSAGE,
  BUNDLE_VALUE_MESSAGE,
  BUNDLE_VALUE_REQUIRED_MESSAGE,
} from '../incomplete-execution-requests';
import { blueprintSchema } from './blueprint';
import { ieChangeActorSchema, ieChangeReasonSchema } from './ie-changes';

const requestId = z.string().min(1).max(200).optional();

/**
 * A bundle a module could have output: a JSON object. Anything else (an array, a string, null …)
 * is refused rather than dropped; `null` does not remove a bundle either: every module before
 * the failed one produced one, and an attempt maps from them all.
 */
export const bundleValueSchema = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  BUNDLE_VALUE_MESSAGE,
);

/**
 * Bundles in the shape of `GET /dlqs/{id}/bundle`: `{ "<moduleId>": { value } }`. A PATCH changes
 * only the modules it names. The failed module's `{ error }` entry may come back as `GET` shows it
 * (it is not editable and is left as it is).
 */
export const bundlesPatchSchema = z.record(
  z.string().regex(/^\d+$/, BUNDLE_KEY_MESSAGE),
  z.looseObject({ value: bundleValueSchema.optional(), error: z.unknown().optional() }).superRefine((entry, ctx) => {
    if (entry.value === undefined && entry.error === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: BUNDLE_VALUE_REQUIRED_MESSAGE });
    }
  }),
);
const requestNote = {
  requestId,
  /** Who asked (set by the API); absent when the request came through Temporal directly. */
  actor: ieChangeActorSchema.optional(),
  /** Why, in the person's words: kept in the IE's change log. */
  reason: ieChangeReasonSchema.optional(),
};

/** `blueprint` as Make's API sends it (JSON text) or as an object. */
const blueprintInput = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}, blueprintSchema);

export const deleteRequestSchema = z.strictObject(requestNote).prefault({});
/**
 * A retry may start at an earlier module than the failed one (`from`, src/domain/retry-plan.ts)
 * and run another blueprint (the scenario's current one, which the API sends): the IE keeps it, as
 * a patch would, before the attempt starts.
 */
export const retryRequestSchema = z
  .strictObject({ ...requestNote, from: z.int().positive().optional(), blueprint: blueprintInput.optional() })
  .prefault({});
export const patchRequestSchema = z.strictObject({
  ...requestNote,
  blueprint: blueprintInput.optional(),
  failer: z.int().positive().optional(),
  bundles: bundlesPatchSchema.optional(),
});
export const resolveRequestSchema = patchRequestSchema;
