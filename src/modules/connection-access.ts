/**
 * What the connection modules see of the organization's connections during one operation: the
 * secret of the connection a blueprint names by id. The module activity builds it from the store;
 * modules never touch the store themselves, and never put a secret in a bundle or an error.
 */
import type { ConnectionSecret } from '../domain';

export interface ConnectionAccess {
  /** The secret of a connection of the run's organization; undefined when there is none. */
  secretOf(id: number): Promise<ConnectionSecret | undefined>;
}
