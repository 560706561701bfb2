/**
 * Connections (Make's keychains): credentials a module names by id. The store keeps them
 * (src/store/connections.ts), the API creates them, the module activity alone reads the secret.
 */

/** Make's keychain types imex knows: `keychain:basicauth` and `keychain:apikeyauth`. */
export const connectionTypes = ['basicauth', 'apikeyauth'] as const;
export type ConnectionType = (typeof connectionTypes)[number];

export type ConnectionSecret =
  | { type: 'basicauth'; username: string; password: string }
  /** `placement`: the key goes in a header named `name`, or in a query-string parameter named `name`. */
  | { type: 'apikeyauth'; key: string; placement: 'header' | 'qs'; name: string };

/** Module types that read a connection: their operations carry the run's organization. */
const connectionModuleTypes = new Set(['http:ActionSendDataBasicAuth', 'http:ActionSendDataAPIKeyAuth']);

export function usesConnection(moduleType: string): boolean {
  return connectionModuleTypes.has(moduleType);
}
