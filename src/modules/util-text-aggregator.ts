/**
 * `util:TextAggregator`: Make's Text aggregator. Joins each collected bundle's mapped `value` into
 * `text`, separated by `rowSeparator`: `"\n"` (new row), `"\t"` (tab), `"other"`
 * (`otherRowSeparator`) or `""` (nothing, Make's default). Numbers and booleans join as text;
 * a value that mapped to nothing (or `ignore`) adds an empty row.
 */
import { z } from 'zod';
import { defineModule } from './contract';
import { aggregatorParametersShape } from './aggregator-parameters';

export const utilTextAggregator = defineModule({
  type: 'util:TextAggregator',
  title: 'Text aggregator',
  parametersSchema: z.looseObject({
    ...aggregatorParametersShape,
    rowSeparator: z.enum(['', '\n', '\t', 'other']).default(''),
    otherRowSeparator: z.string().default(''),
  }),
  mapperSchema: z.looseObject({
    value: z
      .union([z.string(), z.number(), z.boolean(), z.null(), z.undefined()], {
        error: 'value is the text to aggregate (text, a number or a boolean)',
      })
      .optional(),
  }),
  aggregate({ parameters, items }) {
    const separator = parameters.rowSeparator === 'other' ? parameters.otherRowSeparator : parameters.rowSeparator;
    return {
      text: items
        .map((item) => (item.value === undefined || item.value === null ? '' : String(item.value)))
        .join(separator),
    };
  },
});
