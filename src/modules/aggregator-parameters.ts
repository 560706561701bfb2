/**
 * What every aggregator's `parameters` hold: the source module (`feeder`), a module id as Make
 * exports it (a number, sometimes as text). The engine reads the same field through
 * `aggregatorSettings` (src/domain/aggregation.ts); this schema is what validation reports on.
 */
import { z } from 'zod';

export const aggregatorParametersShape = {
  feeder: z.coerce
    .number({ error: 'an aggregator needs its source module (feeder): a module id' })
    .int('feeder is a module id')
    .positive('feeder is a module id'),
};

/** An item without the fields that mapped to nothing (Make: a field that is `ignore` is left out). */
export function withoutEmptyFields(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
}
