/** IML's keywords (reference §2.6). `true`, `false` and `null` parse to literals. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'emptystring',
  'emptyarray',
  'space',
  'tab',
  'newline',
  'nbsp',
  'carriagereturn',
  'ignore',
  'erase',
  'now',
  'timestamp',
  'random',
  'uuid',
  'pi',
  'executionId',
]);

/** Keywords whose value differs per evaluation: the environment supplies them (env.ts). */
export const VOLATILE_KEYWORDS: ReadonlySet<string> = new Set(['now', 'timestamp', 'random', 'uuid']);
