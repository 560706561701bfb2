/**
 * `json:AggregateToJSON`: Make's "Aggregate to JSON". Each collected bundle's mapped fields (the
 * data structure's, `parameters.type`) become one element of a JSON array, output as `{ json }`
 * text; `space` indents it (`""` none, `"tab"`, `"2"`, `"4"`), as `json:CreateJSON` does. The
 * data structure's types are not enforced here: the fields are aggregated as mapped.
 */
import { z } from 'zod';
import { defineModule } from './contract';
import { aggregatorParametersShape, withoutEmptyFields } from './aggregator-parameters';

const indents = { '': undefined, tab: '\t', '2': 2, '4': 4 } as const;

export const jsonAggregateToJson = defineModule({
  type: 'json:AggregateToJSON',
  title: 'Aggregate to JSON',
  parametersSchema: z.looseObject({
    ...aggregatorParametersShape,
    type: z.union([z.string(), z.number()]).optional(),
    space: z.enum(['', 'tab', '2', '4']).default(''),
  }),
  mapperSchema: z.record(z.string(), z.unknown()),
  aggregate({ parameters, items }) {
    return { json: JSON.stringify(items.map(withoutEmptyFields), null, indents[parameters.space]) };
  },
});
