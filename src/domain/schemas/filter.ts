import { z } from 'zod';
import { CONDITION_OPERATOR_MESSAGE } from '../incomplete-execution-requests';

export const filterConditionSchema = z.looseObject({
  a: z.unknown().optional(),
  /** The operator; an unknown one is a validation error (`validateBlueprint`). */
  o: z.string({ error: CONDITION_OPERATOR_MESSAGE }).min(1, CONDITION_OPERATOR_MESSAGE),
  b: z.unknown().optional(),
});

/** `null` in an export means "no filter". */
export const filterSchema = z.looseObject({
  name: z.string().optional(),
  conditions: z.array(z.array(filterConditionSchema)).default([]),
});
