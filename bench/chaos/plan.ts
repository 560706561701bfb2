/**
 * What a chaos run does, derived from its seed alone (`--seed N` reproduces it): the runs it
 * fires (single bundles, fan-outs through an iterator, a module returning many bundles, large
 * bundles kept as blobs), which bundles the downstream refuses for good (DataError: their IEs wait
 * for a person), and when each fault strikes.
 */

export type RunKind = 'single' | 'iterator' | 'parse-json' | 'large';
export type FaultKind = 'worker-kill' | 'temporal-restart' | 'store-pause';

export interface PlannedRun {
  /** The run's key in bodies the service sees (`r<index>`). */
  key: string;
  kind: RunKind;
  /** Bundle identities reaching the failing module, in bundle order (`<run>:<item>`). */
  items: string[];
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

const kinds: RunKind[] = ['single', 'iterator', 'parse-json', 'large'];

export function makePlan(seed: number, sizes: ChaosSizes): ChaosPlan {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const runs: PlannedRun[] = [];
  for (let i = 0; i < sizes.runs; i++) {
    // Every kind at least once, then at random.
    const kind = i < kinds.length ? (kinds[i] as RunKind) : (kinds[int(0, kinds.length - 1)] as RunKind);
    const count = kind === 'iterator' || kind === 'parse-json' ? int(2, Math.max(2, sizes.maxFanOut)) : 1;
    const key = `r${i}`;
    runs.push({
      key,
      kind,
      items: Array.from({ length: count }, (_, n) => `${key}:${n}`),
      atMs: Math.round((i / Math.max(1, sizes.runs)) * sizes.firingMs * 0.5),
    });
  }
  // The first large bundle is refused for good: its IE stays open to the end, so the quota and
  // size checks see a blob-backed IE. The rest at random.
  const firstLarge = runs.find((r) => r.kind === 'large')?.items[0];
  const permanent = runs
    .flatMap((r) => r.items)
    .filter((identity) => identity === firstLarge || random() < sizes.permanentShare);
  const deleted = permanent.filter((identity, i) => identity !== firstLarge && i % 2 === 1);
  const faults: PlannedFault[] = [];
  const at = () => int(Math.round(sizes.firingMs * 0.1), sizes.firingMs);
  for (let i = 0; i < sizes.workerKills; i++) faults.push({ kind: 'worker-kill', atMs: at() });
  for (let i = 0; i < sizes.temporalRestarts; i++) faults.push({ kind: 'temporal-restart', atMs: at() });
  for (let i = 0; i < sizes.storePauses; i++)
    faults.push({ kind: 'store-pause', atMs: at(), durationMs: sizes.storePauseMs });
  faults.sort((a, b) => a.atMs - b.atMs);
  // Within the firing phase: runs fired later succeed at once, faults after it hit succeeding attempts.
  const recoverAtMs = int(Math.round(sizes.firingMs * 0.6), Math.round(sizes.firingMs * 0.85));
  return { seed, sizes, runs, faults, permanent, deleted, recoverAtMs };
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
    `bundles refused for good (400): ${plan.permanent.length}, of which ${plan.deleted.length} deleted during the faults`,
    `the service recovers at +${(plan.recoverAtMs / 1000).toFixed(1)} s`,
    ...plan.faults.map(
      (f) =>
        `fault at +${(f.atMs / 1000).toFixed(1)} s: ${f.kind}${f.durationMs ? ` for ${f.durationMs / 1000} s` : ''}`,
    ),
  ];
}
