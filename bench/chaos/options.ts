/** `npm run chaos [-- --seed N] [-- --quick] [-- --out FILE] [-- --keep]`: the seed and the sizes. */
import { parseArgs } from 'node:util';
import type { ChaosSizes } from './plan';

export interface ChaosOptions {
  seed: number;
  quick: boolean;
  out?: string;
  /** Keep the temporary folder (server logs, worker logs, databases) for a post-mortem. */
  keep: boolean;
  sizes: ChaosSizes;
  /** Auto-retry schedule of the chaos scenarios' IEs (ms per step). */
  schedule: number[];
  /** Longest wait for every IE to settle after the service recovers. */
  settleTimeoutMs: number;
}

const full: ChaosSizes = {
  runs: 24,
  maxFanOut: 6,
  largeBytes: 80 * 1024,
  firingMs: 90_000,
  workerKills: 3,
  temporalRestarts: 1,
  storePauses: 1,
  storePauseMs: 20_000,
  permanentShare: 0.15,
};

/** `npm test`'s variant: every kind and every fault once, in about two minutes. */
const quick: ChaosSizes = {
  runs: 8,
  maxFanOut: 4,
  largeBytes: 80 * 1024,
  firingMs: 30_000,
  workerKills: 1,
  temporalRestarts: 1,
  storePauses: 1,
  storePauseMs: 10_000,
  permanentShare: 0.15,
};

export function parseChaosArgs(argv: string[]): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, not ${values.seed}`);
  const sizes = values.quick ? quick : full;
  return {
    seed,
    quick: values.quick ?? false,
    ...(values.out ? { out: values.out } : {}),
    keep: values.keep ?? false,
    sizes,
    // 2 s, 3 s, then every 5 s for five minutes: attempts fail while the service is down, and
    // the schedule outlasts the faults so recovered IEs resolve without a person.
    schedule: [2000, 3000, ...Array.from({ length: 60 }, () => 5000)],
    settleTimeoutMs: values.quick ? 150_000 : 600_000,
  };
}
