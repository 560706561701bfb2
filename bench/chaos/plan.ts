/**
 * What a chaos run does, derived from its seed alone (`--seed N` reproduces it): the runs it
 * fires (single bundles, fan-outs through an iterator, a module returning many bundles, large
 * bundles kept as blobs, a fan-out after the failing module so that attempts meet it, webhook
 * payloads, one of them accepted while Temporal is down), which bundles the downstream refuses
 * for good (DataError: their IEs wait for a person), and when each fault strikes.
 */

export type RunKind = 'single' | 'iterator' | 'parse-json' | 'large' | 'gate-fan-out' | 'webhook';
export type FaultKind = 'worker-kill' | 'temporal-restart' | 'store-pause';

export interface PlannedRun {
  /** The run's key in bodies the service sees (`r<index>`). */
  key: string;
  kind: RunKind;
  /** Bundle identities reaching the failing module, in bundle order (`<run>:<item>`). */
  items: string[];
  /**
   * `gate-fan-out` only: the identity of the one bundle the module before the fan-out sends
   * (`<run>:gate`). It fails while the service is down, so the IE's attempt meets the fan-out.
   */
  gate?: string;
  /** `webhook` only: sent while the Temporal server is down (during its restart), not at `atMs`. */
  whileTemporalDown?: boolean;
  /** Fired this many ms after the start of the firing phase. */
  atMs: number;
}

export interface PlannedFault {
  kind: FaultKind;
  /** Ms after the start of the firing phase. */
  atMs: number;
  /** How long the store stays stopped (store-pause only). */
  durationMs?: number;
}

export interface ChaosSizes {
  runs: number;
  /** Items per fan-out run (iterator, parse-json), at most. */
  maxFanOut: number;
  /** Bytes of the large runs' trigger bundle (> 64 KiB: kept as a blob). */
  largeBytes: number;
  /** The firing phase: runs and faults fall inside it. */
  firingMs: number;
  workerKills: number;
  temporalRestarts: number;
  storePauses: number;
  storePauseMs: number;
  /** Share of bundles the service refuses for good (400). */
  permanentShare: number;
}

export interface ChaosPlan {
  seed: number;
  sizes: ChaosSizes;
  runs: PlannedRun[];
  faults: PlannedFault[];
  /** Identities answered 400 whatever happens: parked without auto-retry. */
  permanent: string[];
  /** Refused identities whose IE is deleted as soon as its run has ended, while faults go on. */
  deleted: string[];
  /**
   * Refused single-bundle identities whose IE a person retries from the trigger (`from: 1`, the
   * retry-from path: a blueprint check, then an attempt that re-runs the modules from there) as
   * soon as its run has ended, while faults go on. Only runs with one bundle: over a fan-out, a
   * retry from the trigger calls the service again for the items that succeeded (Make's rule,
   * which the retry plan warns about), which this suite would count as effects applied twice.
   */
  retriedFrom: string[];
  /** When those retries are sent (ms after the start of the firing phase): while the first fault strikes. */
  retryFromAtMs: number;
  /** When the service recovers (ms after the start of the firing phase): later faults strike succeeding calls. */
  recoverAtMs: number;
}

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const RUN_KINDS: RunKind[] = ['single', 'iterator', 'parse-json', 'large', 'gate-fan-out', 'webhook'];
const kinds = RUN_KINDS;
const fansOut = (kind: RunKind) => kind === 'iterator' || kind === 'parse-json' || kind === 'gate-fan-out';

export function makePlan(seed: number, sizes: ChaosSizes): ChaosPlan {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const runs: PlannedRun[] = [];
  for (let i = 0; i < sizes.runs; i++) {
    // Every kind at least once, then at random.
    const kind = i < kinds.length ? (kinds[i] as RunKind) : (kinds[int(0, kinds.length - 1)] as RunKind);
    // The first gate-fan-out has at least 3 items: two refused ones follow a good one (below).
    const least = kind === 'gate-fan-out' && !runs.some((r) => r.kind === kind) ? 3 : 2;
    const count = fansOut(kind) ? int(least, Math.max(least, sizes.maxFanOut)) : 1;
    const key = `r${i}`;
    runs.push({
      key,
      kind,
      items: Array.from({ length: count }, (_, n) => `${key}:${n}`),
      ...(kind === 'gate-fan-out' ? { gate: `${key}:gate` } : {}),
      atMs: Math.round((i / Math.max(1, sizes.runs)) * sizes.firingMs * 0.5),
    });
  }
  // The first large bundle is refused for good: its IE stays open to the end, so the quota and
  // size checks see a blob-backed IE. In the first gate-fan-out, items 1 and 2 are refused: its
  // IE's attempt moves the IE to the first and parks the second as an IE of its own. The rest at
  // random.
  const firstLarge = runs.find((r) => r.kind === 'large')?.items[0];
  const firstGate = runs.find((r) => r.kind === 'gate-fan-out');
  const forced = new Set([firstLarge, firstGate?.items[1], firstGate?.items[2]]);
  const drawn = runs
    .flatMap((r) => r.items)
    .filter((identity) => forced.has(identity) || random() < sizes.permanentShare);
  // Some refused bundles' IEs are deleted while the faults go on; not a gate-fan-out's, whose IE
  // must live to its attempt.
  const gateItems = new Set(runs.filter((r) => r.kind === 'gate-fan-out').flatMap((r) => r.items));
  const deleted = drawn
    .filter((identity) => identity !== firstLarge && !gateItems.has(identity))
    .filter((_, i) => i % 2 === 1);
  // The first single run's bundle is refused for good too (added after the draws, so that a seed
  // keeps the plan it had before retries from the trigger were planned), and a person retries its
  // IE from the trigger; then every other refused single bundle that is not deleted.
  const firstSingle = runs.find((r) => r.kind === 'single')?.items[0];
  const permanent = firstSingle && !drawn.includes(firstSingle) ? [...drawn, firstSingle] : drawn;
  const singleBundle = new Set(runs.filter((r) => r.kind === 'single' || r.kind === 'webhook').flatMap((r) => r.items));
  const retriedFrom = permanent
    .filter((identity) => singleBundle.has(identity) && !deleted.includes(identity))
    .filter((identity, i) => identity === firstSingle || i % 2 === 0);
  const faults: PlannedFault[] = [];
  const at = () => int(Math.round(sizes.firingMs * 0.1), sizes.firingMs);
  for (let i = 0; i < sizes.workerKills; i++) faults.push({ kind: 'worker-kill', atMs: at() });
  for (let i = 0; i < sizes.temporalRestarts; i++) faults.push({ kind: 'temporal-restart', atMs: at() });
  for (let i = 0; i < sizes.storePauses; i++)
    faults.push({ kind: 'store-pause', atMs: at(), durationMs: sizes.storePauseMs });
  faults.sort((a, b) => a.atMs - b.atMs);
  const retryFromAtMs = (faults[0]?.atMs ?? 0) + 500;
  // One webhook payload is sent while the Temporal server restarts: accepted (durable in the
  // store) without a wake-up signal, it runs once maintenance wakes its coordinator.
  const restart = faults.find((f) => f.kind === 'temporal-restart');
  if (restart) {
    const key = `r${runs.length}`;
    runs.push({ key, kind: 'webhook', items: [`${key}:0`], whileTemporalDown: true, atMs: restart.atMs });
  }
  // Within the firing phase: runs fired later succeed at once, faults after it hit succeeding attempts.
  const recoverAtMs = int(Math.round(sizes.firingMs * 0.6), Math.round(sizes.firingMs * 0.85));
  return { seed, sizes, runs, faults, permanent, deleted, retriedFrom, retryFromAtMs, recoverAtMs };
}

/** The plan in a few lines, for the report. */
export function describePlan(plan: ChaosPlan): string[] {
  const byKind = new Map<RunKind, { runs: number; bundles: number }>();
  for (const run of plan.runs) {
    const k = byKind.get(run.kind) ?? { runs: 0, bundles: 0 };
    k.runs++;
    k.bundles += run.items.length;
    byKind.set(run.kind, k);
  }
  return [
    `runs: ${plan.runs.length} (${[...byKind].map(([kind, k]) => `${kind} ${k.runs} runs/${k.bundles} bundles`).join(', ')})`,
    ...plan.runs
      .filter((r) => r.whileTemporalDown)
      .map((r) => `webhook ${r.key} sent while the Temporal server restarts`),
    `bundles refused for good (400): ${plan.permanent.length}, of which ${plan.deleted.length} deleted and ${plan.retriedFrom.length} retried from the trigger during the faults`,
    ...(plan.retriedFrom.length > 0
      ? [
          `retries from the trigger sent at +${(plan.retryFromAtMs / 1000).toFixed(1)} s: ${plan.retriedFrom.join(', ')}`,
        ]
      : []),
    `the service recovers at +${(plan.recoverAtMs / 1000).toFixed(1)} s`,
    ...plan.faults.map(
      (f) =>
        `fault at +${(f.atMs / 1000).toFixed(1)} s: ${f.kind}${f.durationMs ? ` for ${f.durationMs / 1000} s` : ''}`,
    ),
  ];
}
