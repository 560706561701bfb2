/**
 * `builtin:BasicAggregator`: Make's Array aggregator. Each collected bundle's mapped fields become
 * one item of `array` (a field that mapped to `ignore` is left out). `target` (Make's "Target
 * structure type", `"<moduleId>.<field>"`) is kept and does not change the items.
 */
import { z } from 'zod';
import { defineModule } from './contract';
import { aggregatorParametersShape, withoutEmptyFields } from './aggregator-parameters';

export const builtinBasicAggregator = defineModule({
  type: 'builtin:BasicAggregator',
  title: 'Array aggregator',
  parametersSchema: z.looseObject({ ...aggregatorParametersShape, target: z.string().optional() }),
  mapperSchema: z.record(z.string(), z.unknown()),
  aggregate({ items }) {
    return { array: items.map(withoutEmptyFields) };
  },
});
