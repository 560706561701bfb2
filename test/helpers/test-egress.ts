/**
 * The egress policy of test workers: tests serve their third parties on loopback, so loopback is
 * allowed, explicitly; the test stack's own servers (Temporal, MongoDB, and any given here) stay
 * refused, as in a deployment.
 */
import type { EgressPolicy, StackEndpoint } from '../../src/egress/egress-policy';
import { loopbackEgressPolicy } from '../../src/egress/stack-endpoints';

export function testEgressPolicy(more: StackEndpoint[] = []): Promise<EgressPolicy> {
  const temporalAddress = process.env.IMEX_TEST_TEMPORAL_ADDRESS;
  const mongoUrl = process.env.IMEX_TEST_MONGO_URL;
  if (!temporalAddress || !mongoUrl) throw new Error('the test stack is not started: run through jest');
  return loopbackEgressPolicy({ temporalAddress, mongoUrl }, more);
}
