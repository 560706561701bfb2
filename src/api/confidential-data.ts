/**
 * `confidential: true` (Make's scenario setting: no module data in logs or history views): an IE
 * of such a run keeps its bundles, encrypted, so it can be retried, but the routes that show them
 * answer only a token with `dlqs:read-data` (docs/api.md, docs/security.md). The IE's stored
 * blueprint decides: it holds the settings the run had.
 */
import type { AuthContext } from './auth';
import { forbidden } from './errors';
import { isConfidentialBlueprintText } from '../domain';
import type { ApiScope, IncompleteExecutionDocument } from '../store';

export const DATA_SCOPE: ApiScope = 'dlqs:read-data';

/** Whether the IE comes from a run of a confidential scenario. */
export function isConfidentialIe(doc: Pick<IncompleteExecutionDocument, 'blueprint'>): boolean {
  return isConfidentialBlueprintText(doc.blueprint);
}

/** 403 naming the scope when the IE is confidential and the token lacks `dlqs:read-data`. */
export function requireDataScope(
  auth: Pick<AuthContext, 'scopes'>,
  doc: Pick<IncompleteExecutionDocument, '_id' | 'blueprint'>,
  what: string,
): void {
  if (!isConfidentialIe(doc) || auth.scopes.includes(DATA_SCOPE)) return;
  throw forbidden(
    `incomplete execution ${doc._id} belongs to a confidential scenario: showing its ${what} needs the scope "${DATA_SCOPE}"`,
  );
}
