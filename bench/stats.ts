/** Small statistics for the bench: min / median / max of repetitions, percentiles of latencies. */

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { n: 0, min: NaN, median: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { n: sorted.length, min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number };
}

/** Rounds for the JSON: figures, not noise. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function roundSummary(s: Summary, digits = 2): Summary {
  return { n: s.n, min: round(s.min, digits), median: round(s.median, digits), max: round(s.max, digits) };
}

/** Runs `task(i, lane)` for i in [0, total) on `concurrency` lanes at once; resolves when all are done. */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (i: number, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (_: unknown, index: number) => {
    while (next < total) await task(next++, index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

/** Rows of a phase run alone (`--only`): figure, value, goal, in aligned columns. */
export function formatRows(rows: [string, string, string][]): string {
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) => `${row[0].padEnd(widths[0] as number)}  ${row[1].padEnd(widths[1] as number)}  ${row[2]}`.trimEnd())
    .join('\n');
}
