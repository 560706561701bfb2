import { z } from 'zod';

export const filterConditionSchema = z.looseObject({
  a: z.unknown().optional(),
  /** The operator; an unknown one is a validation error (`validateBlueprint`). */
  o: z.string({ error: 'a condition needs an operator (o)' }).min(1, 'a condition needs an operator (o)'),
  b: z.unknown().optional(),
});

/** `null` in an export means "no filter". */
export const filterSchema = z.looseObject({
  name: z.string().optional(),
  conditions: z.array(z.array(filterConditionSchema)).default([]),
});
