import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';

/**
 * Make's API scopes that imex honours (DESIGN.md §7; `organizations:write` changes the organization's
 * IE storage limit, where the deployment allows it: IMEX_API_QUOTA_WRITES), and imex's codec server scopes:
 * `payloads:read` decrypts Temporal payloads, `payloads:write` encrypts them (src/api/routes/codec.ts).
 * Those two reach every organization's payloads: give them to operators' tokens only. imex's
 * `dlqs:read-data` shows the bundles of a confidential scenario's IEs (src/api/confidential-data.ts).
 */
export const apiScopes = [
  'dlqs:read',
  'dlqs:write',
  'dlqs:read-data',
  'scenarios:read',
  'scenarios:write',
  'datastores:read',
  'datastores:write',
  'udts:read',
  'udts:write',
  'organizations:read',
  'organizations:write',
  'connections:read',
  'connections:write',
  'payloads:read',
  'payloads:write',
] as const;
export type ApiScope = (typeof apiScopes)[number];

export function isApiScope(value: string): value is ApiScope {
  return (apiScopes as readonly string[]).includes(value);
}

/** An API token as everyone but its owner sees it: never the secret, never its hash. */
export interface ApiToken {
  /** Public id, e.g. for `imex token revoke <id>`; not the secret. */
  id: string;
  orgId: number;
  name: string;
  scopes: ApiScope[];
  createdAt: Date;
  revokedAt?: Date;
}

/**
 * As stored: `_id` is the sha256 of the token, so authenticating is one indexed point lookup and a
 * leaked database holds no usable token. Revoked tokens stay (with `revokedAt`) for audit.
 */
interface ApiTokenDocument extends ApiToken {
  _id: string;
}

/** The token's visible prefix: tells a reader (and secret scanners) what it is. */
export const API_TOKEN_PREFIX = 'imex_';

/** sha256 hex of the whole token text; the token carries 256 random bits, so no salt is needed. */
export function hashApiToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

function fromDocument(doc: ApiTokenDocument): ApiToken {
  const { id, orgId, name, scopes, createdAt, revokedAt } = doc;
  return revokedAt ? { id, orgId, name, scopes, createdAt, revokedAt } : { id, orgId, name, scopes, createdAt };
}

export class ApiTokenStore {
  readonly collection: Collection<ApiTokenDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ApiTokenDocument>('apiTokens');
  }

  /** Creates a token; the plain `token` is returned here once and never stored. */
  async create(input: { orgId: number; scopes: readonly ApiScope[]; name?: string }): Promise<{
    token: string;
    apiToken: ApiToken;
  }> {
    const unknown = input.scopes.filter((scope) => !isApiScope(scope));
    if (unknown.length > 0) throw new Error(`unknown scope ${unknown.join(', ')} (known: ${apiScopes.join(', ')})`);
    const token = API_TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
    const apiToken: ApiToken = {
      id: crypto.randomBytes(8).toString('hex'),
      orgId: input.orgId,
      name: input.name ?? '',
      scopes: [...new Set(input.scopes)],
      createdAt: new Date(),
    };
    await this.collection.insertOne({ _id: hashApiToken(token), ...apiToken });
    return { token, apiToken };
  }

  /** The live token with this secret, or null when it is unknown or revoked. */
  async authenticate(token: string): Promise<ApiToken | null> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return null;
    const doc = await this.collection.findOne({ _id: hashApiToken(token) });
    return doc && !doc.revokedAt ? fromDocument(doc) : null;
  }

  get(id: string): Promise<ApiToken | null> {
    return this.collection.findOne({ id }).then((doc) => doc && fromDocument(doc));
  }

  /** Every token of the organization, revoked ones included, oldest first; no secrets. */
  async list(orgId: number): Promise<ApiToken[]> {
    const docs = await this.collection.find({ orgId }).sort({ createdAt: 1 }).toArray();
    return docs.map(fromDocument);
  }

  /** Revokes by public id. `missing` when there is no such token; revoking twice is harmless. */
  async revoke(id: string): Promise<'revoked' | 'already-revoked' | 'missing'> {
    const doc = await this.collection.findOne({ id });
    if (!doc) return 'missing';
    if (doc.revokedAt) return 'already-revoked';
    await this.collection.updateOne({ _id: doc._id }, { $set: { revokedAt: new Date() } });
    return 'revoked';
  }
}
