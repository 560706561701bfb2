import { createHash } from 'node:crypto';

/**
 * The idempotency key of one module operation: the same for every retry of the same execution,
 * module and input bundle, different for anything else. Modules pass it to services that
 * deduplicate requests (the HTTP module sends it as `Idempotency-Key`).
 */
export function idempotencyKeyFor(executionId: string, moduleId: number, bundleIndex: number): string {
  return createHash('sha256').update(`imex:${executionId}:${moduleId}:${bundleIndex}`).digest('hex');
}
