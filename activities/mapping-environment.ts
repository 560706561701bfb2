/**
 * The IML environment of evaluations in activities: the run's scope, a seed that names the
 * operation (so a retry maps the same `uuid`s and `random`s), the activity's clock for `now`,
 * and Node's crypto for `md5`/`sha*` (which the workflow sandbox has not).
 */
import { createHash, createHmac } from 'node:crypto';
import { mappingEnvironment, type DigestAlgorithm, type ImlEnvironment, type MappingScope } from '../src/domain';

function digest(algorithm: DigestAlgorithm, data: Uint8Array, key?: Uint8Array): Uint8Array {
  const hash = key ? createHmac(algorithm, key) : createHash(algorithm);
  return new Uint8Array(hash.update(data).digest());
}

export function activityMappingEnvironment(scope: MappingScope | undefined, seed: string): ImlEnvironment {
  return mappingEnvironment(scope, seed, { digest });
}
