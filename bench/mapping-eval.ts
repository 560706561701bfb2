/**
 * Phase `mapping-eval`: what evaluating IML costs, in process (no stack): a 20-field mapper
 * full of functions (dates, text, arrays, math), cold (the first evaluation parses each template)
 * and warm (parsed once, cached per string, as runs evaluate the same mapper again and again);
 * beside it the same 20 fields as plain references, the cost before IML. The module activity
 * evaluates the mapper; a mapper of plain references in the workflow costs no activity at all.
 */
import { createImlEnvironment, evaluateMapping } from '../src/domain';

export interface MappingEvalResult {
  fields: number;
  /** One evaluation of the whole mapper, parsing included (a new template string each time). */
  coldMicros: number;
  /** One evaluation of the whole mapper, templates already parsed (median of the samples). */
  warmMicros: number;
  /** The same number of fields as plain references `{{1.x}}`, warm. */
  plainReferencesMicros: number;
  samples: number;
}

const context = {
  '1': {
    name: '  ada LOVELACE ',
    email: 'ADA@Example.com',
    when: '2026-03-05T10:00:00Z',
    tags: 'x,y,x,z',
    amount: '1 234,50',
    items: Array.from({ length: 20 }, (_, i) => ({ sku: `s${i % 7}`, qty: i + 1, price: 1.5 * i })),
  },
};

/** Twenty fields, as a Make export's mapper with functions looks. */
export function functionMapper(salt = ''): Record<string, string> {
  return {
    name: `{{startcase(lower(trim(1.name)))}}${salt}`,
    email: '{{lower(1.email)}}',
    domain: '{{substring(lower(1.email); indexOf(1.email; "@") + 1)}}',
    skus: '{{join(sort(deduplicate(map(1.items; "sku"))); "|")}}',
    total: '{{formatNumber(sum(map(1.items; "price")); 2; "."; ",")}}',
    maxPrice: '{{max(map(1.items; "price"))}}',
    avgQty: '{{round(average(map(1.items; "qty")) * 100) / 100}}',
    amount: '{{parseNumber(1.amount; ",") * 2}}',
    due: '{{formatDate(addDays(1.when; 30); "DD.MM.YYYY")}}',
    monthStart: '{{formatDate(setDate(1.when; 1); "YYYY-MM-DD")}}',
    weekday: '{{formatDate(1.when; "dddd"; "Europe/Prague")}}',
    tagCount: '{{length(deduplicate(split(1.tags; ",")))}}',
    size: '{{if(length(1.items) > 2; "big"; "small")}}',
    second: '{{switch(get(1.items; "2.sku"); "s0"; "first"; "s1"; "second"; "none")}}',
    nick: '{{ifempty(1.nick; "anon")}}',
    b64: '{{base64(lower(trim(1.name)))}}',
    url: 'https://x.test/{{encodeURL(trim(1.name))}}?at={{formatDate(now; "X")}}',
    reversed: '{{join(reverse(map(1.items; "qty")); ",")}}',
    parsed: '{{parseDate("05.03.2026 10:00"; "DD.MM.YYYY HH:mm"; "UTC")}}',
    id: '{{uuid}}',
  };
}

function timeMicros(run: () => void, samples: number): number {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] as number) * 10) / 10;
}

export function measureMappingEval(quick: boolean): MappingEvalResult {
  const samples = quick ? 300 : 2000;
  const env = () => createImlEnvironment({ now: Date.parse('2026-01-15T10:30:45Z'), seed: 'bench' });
  const warm = functionMapper();
  const plain = Object.fromEntries(Object.keys(warm).map((key, i) => [key, `{{1.items[${(i % 20) + 1}].sku}}`]));
  for (let i = 0; i < 200; i++) evaluateMapping(warm, context, env()); // the JIT warms up too
  let n = 0;
  return {
    fields: Object.keys(warm).length,
    coldMicros: timeMicros(() => evaluateMapping(functionMapper(`-${n++}`), context, env()), samples),
    warmMicros: timeMicros(() => evaluateMapping(warm, context, env()), samples),
    plainReferencesMicros: timeMicros(() => evaluateMapping(plain, context, env()), samples),
    samples,
  };
}

export function formatMappingEval(result: MappingEvalResult): string {
  return [
    `mapping-eval: a ${result.fields}-field mapper with functions, per evaluation (median of ${result.samples})`,
    `  warm (parsed once, cached): ${result.warmMicros} µs`,
    `  cold (parsing included):    ${result.coldMicros} µs`,
    `  ${result.fields} plain references:      ${result.plainReferencesMicros} µs`,
  ].join('\n');
}
