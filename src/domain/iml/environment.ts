/**
 * What an evaluation may depend on besides the bundles: the time, randomness, the time zone,
 * the scenario's variables, and (in activities) a digest for the hash functions.
 *
 * Determinism: `now` is fixed per environment (one module operation) and `random`, `uuid` and
 * `shuffle` draw from a PRNG seeded by the caller. The module activity seeds it with the
 * operation's idempotency key (execution, module, bundle), so an in-run retry and an IE attempt
 * map the same uuids as the first try; the workflow seeds it from the run and the module, so a
 * replay maps what the first execution mapped. Nothing here reads a clock or `Math.random`
 * unless the caller gives no `now` / `seed`.
 */
export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

export interface ImlEnvironment {
  readonly now: Date;
  readonly random: () => number;
  /** IANA zone for dates without one and for `formatDate` / `parseDate` / `set*` (default UTC). */
  readonly timezone: string;
  /** `var.scenario.*`, `var.execution.*`, `var.organization.*`, `var.team.*`. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Hash (or HMAC with `key`); absent where no crypto is at hand (the workflow sandbox). */
  readonly digest?: (algorithm: DigestAlgorithm, data: Uint8Array, key?: Uint8Array) => Uint8Array;
}

export interface ImlEnvironmentOptions {
  now?: Date | number;
  seed?: string;
  timezone?: string;
  variables?: Record<string, unknown>;
  digest?: ImlEnvironment['digest'];
}

/** A 128-bit hash of text (cyrb128), the seed of `sfc32`. */
function seedWords(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

/** A small, fast PRNG (sfc32): the same seed gives the same sequence everywhere. */
export function seededRandom(seed: string): () => number {
  let [a, b, c, d] = seedWords(seed);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** An RFC 4122 version 4 uuid from `random`. */
export function uuidFrom(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createImlEnvironment(options: ImlEnvironmentOptions = {}): ImlEnvironment {
  const now = options.now === undefined ? new Date() : new Date(options.now);
  return {
    now,
    random: seededRandom(options.seed ?? `${now.getTime()}:${Math.random()}`),
    timezone: options.timezone ?? 'UTC',
    variables: options.variables ?? {},
    ...(options.digest ? { digest: options.digest } : {}),
  };
}
