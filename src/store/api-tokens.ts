import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Keyring } from '../crypto/keyring';
import { isDuplicateKeyError } from './duplicate-key';

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
 * As stored: `_id` is the token's digest, so authenticating is one indexed point lookup and a
 * leaked database holds no usable token. With a keyring (always under `npm start` and Docker) the
 * digest is an HMAC keyed from the encryption keys, `h1:<keyId>:<hex>`: a store reader cannot test
 * guesses offline. Without one, and in documents written before, it is the bare sha256 hex;
 * such a token is rehashed with the active key the first time it is used (as is one hashed with
 * an older key). Revoked tokens stay (with `revokedAt`) for audit.
 */
interface ApiTokenDocument extends ApiToken {
  _id: string;
}

/** The token's visible prefix: tells a reader (and secret scanners) what it is. */
export const API_TOKEN_PREFIX = 'imex_';

/** sha256 hex of the whole token text: the digest without a keyring, and the one of older documents. */
export function hashApiToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The HMAC key of one encryption key: derived (HKDF), so the encryption key itself is never used twice. */
function tokenHmacKey(key: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), 'imex api token digest v1', 32));
}

/** `h1:<keyId>:<hex>`: the token's digest keyed from the encryption key `key`. */
export function keyedApiTokenDigest(token: string, key: { id: string; key: Buffer }): string {
  return `h1:${key.id}:${crypto.createHmac('sha256', tokenHmacKey(key.key)).update(token).digest('hex')}`;
}

/** The token's digest with each configured key, the active key's first, then the bare sha256. */
function digestsOf(token: string, keys: readonly { id: string; key: Buffer }[]): string[] {
  return [...keys.map((key) => keyedApiTokenDigest(token, key)), hashApiToken(token)];
}

function fromDocument(doc: ApiTokenDocument): ApiToken {
  const { id, orgId, name, scopes, createdAt, revokedAt } = doc;
  return revokedAt ? { id, orgId, name, scopes, createdAt, revokedAt } : { id, orgId, name, scopes, createdAt };
}

export class ApiTokenStore {
  readonly collection: Collection<ApiTokenDocument>;
  private readonly keys: { id: string; key: Buffer }[];

  constructor(db: Db, keyring?: Keyring) {
    this.collection = db.collection<ApiTokenDocument>('apiTokens');
    this.keys = keyring ? keyring.ids.map((id) => keyring.get(id)) : [];
  }

  /** The digest new tokens are stored under: the active key's HMAC, or the bare sha256 without a keyring. */
  private digest(token: string): string {
    return digestsOf(token, this.keys.slice(0, 1))[0] as string;
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
    await this.collection.insertOne({ _id: this.digest(token), ...apiToken });
    return { token, apiToken };
  }

  /** The live token with this secret, or null when it is unknown or revoked. */
  async authenticate(token: string): Promise<ApiToken | null> {
    if (!token.startsWith(API_TOKEN_PREFIX)) return null;
    const digests = digestsOf(token, this.keys);
    // Usually one document; two while a move to the active key's digest is cut short (rehash).
    const docs = await this.collection.find({ _id: { $in: digests } }).toArray();
    const doc = docs.find((d) => d._id === digests[0]) ?? docs[0];
    if (!doc || docs.some((d) => d.revokedAt)) return null;
    if (this.keys.length > 0) {
      for (const old of docs.filter((d) => d._id !== digests[0])) {
        // Best effort: the token is valid either way, and a move cut short is finished by a later use.
        await this.rehash(old, digests[0] as string).catch(() => undefined);
      }
    }
    return fromDocument(doc);
  }

  /**
   * Moves a token to the active key's digest: the copy first, then the old document goes, so a
   * crash between the two leaves the token working (twice stored, once listed; the next use
   * finishes the move). A revocation that lands in between is carried over to the copy.
   */
  private async rehash(doc: ApiTokenDocument, digest: string): Promise<void> {
    try {
      await this.collection.insertOne({ ...doc, _id: digest });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const removed = await this.collection.deleteOne({ _id: doc._id, revokedAt: { $exists: false } });
    if (removed.deletedCount === 1) return;
    const old = await this.collection.findOne({ _id: doc._id });
    if (old?.revokedAt) {
      await this.collection.updateOne({ _id: digest }, { $set: { revokedAt: old.revokedAt } });
      await this.collection.deleteOne({ _id: doc._id });
    }
  }

  get(id: string): Promise<ApiToken | null> {
    return this.collection.findOne({ id }).then((doc) => doc && fromDocument(doc));
  }

  /** Every token of the organization, revoked ones included, oldest first; no secrets. */
  async list(orgId: number): Promise<ApiToken[]> {
    const docs = await this.collection.find({ orgId }).sort({ createdAt: 1 }).toArray();
    // A token caught between its two digests (rehash) is listed once.
    const seen = new Set<string>();
    return docs.filter((doc) => !seen.has(doc.id) && seen.add(doc.id)).map(fromDocument);
  }

  /** Revokes by public id (every stored digest of it). `missing` when there is no such token; revoking twice is harmless. */
  async revoke(id: string): Promise<'revoked' | 'already-revoked' | 'missing'> {
    const doc = await this.collection.findOne({ id });
    if (!doc) return 'missing';
    const result = await this.collection.updateMany(
      { id, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
    return result.modifiedCount > 0 ? 'revoked' : 'already-revoked';
  }
}
