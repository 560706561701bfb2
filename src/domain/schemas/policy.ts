import { z } from 'zod';
import { errorCategories } from '../errors';
import { parkOutcomes } from '../policy';

const inRunOverrideSchema = z.strictObject({
  retry: z.boolean().optional(),
  maxAttempts: z.int().min(1).max(100).optional(),
  initialIntervalMs: z.int().min(0).optional(),
  backoff: z.number().min(1).max(100).optional(),
  maxIntervalMs: z.int().min(0).optional(),
  maxRetryAfterMs: z.int().min(0).optional(),
});

const categoryOverrideSchema = z.strictObject({
  inRun: inRunOverrideSchema.optional(),
  outcome: z.enum(parkOutcomes).optional(),
});

/** Per-scenario overrides: any subset of categories, any subset of fields. */
export const policyOverridesSchema = z.partialRecord(z.enum(errorCategories), categoryOverrideSchema);
