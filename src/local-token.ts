/**
 * The API token `npm start` prints: created once for the local organization and kept in
 * `.imex/data/local-token` (the store keeps only its hash), so it stays the same across restarts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { apiScopes, type Store } from './store';

/** The token `npm start` saved in `dataDir`, if any (the CLI's default for the local API). */
export function readLocalToken(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dataDir, 'local-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function ensureLocalToken(store: Store, orgId: number, dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'local-token');
  try {
    const saved = fs.readFileSync(file, 'utf8').trim();
    const token = await store.apiTokens.authenticate(saved);
    if (token && token.orgId === orgId) return saved;
  } catch {
    // none saved yet
  }
  const { token } = await store.apiTokens.create({ orgId, scopes: apiScopes, name: 'npm start (local)' });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
