/**
 * `Authorization: Token <token>`, as Make's API. A route declares its scope once, in its config
 * (`config: { scope: 'scenarios:read' }`) or says it is public (`config: { public: true }`); a route
 * that says neither is refused at start, so no route is left open by accident.
 *
 * Order of answers: no or bad token 401 (429 once the client has had too many: auth-failure-limit.ts), missing scope 403, then validation 400, then 404 for ids
 * the token's organization does not own (routes look up with the token's `orgId`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IeChangeActor } from '../domain';
import type { ApiScope, ApiTokenStore } from '../store';
import type { AuthFailureCounter } from './auth-failure-limit';
import { forbidden, unauthorized } from './errors';

export interface AuthContext {
  orgId: number;
  tokenId: string;
  /** The token's name (what the IE change log shows beside its id). */
  tokenName: string;
  scopes: readonly ApiScope[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a token needs for this route. */
    scope?: ApiScope;
    /** No token needed (the OpenAPI document). */
    public?: boolean;
    /** The token may come as the path parameter `token` instead (the codec server, for the Temporal Web UI). */
    tokenInPath?: boolean;
  }
  interface FastifyRequest {
    /** Set on every route that has a scope, before validation and the handler run. */
    auth: AuthContext | null;
  }
}

const tokenHeader = /^Token\s+(\S+)\s*$/i;

/** The caller as an IE's change log records it. */
export function actorOf(auth: AuthContext): Extract<IeChangeActor, { type: 'token' }> {
  return { type: 'token', tokenId: auth.tokenId, name: auth.tokenName };
}

/** The authenticated caller of a scoped route. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new Error(`route ${request.routeOptions.url} has no scope: it cannot know its organization`);
  return request.auth;
}

export function installAuth(
  app: FastifyInstance,
  tokens: ApiTokenStore,
  basePath: string,
  countFailure: AuthFailureCounter = async () => undefined,
): void {
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    const config = route.config as { scope?: ApiScope; public?: boolean } | undefined;
    if (route.url.startsWith(basePath) && !config?.scope && !config?.public) {
      throw new Error(`API route ${String(route.method)} ${route.url} declares neither a scope nor public: true`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const { scope } = request.routeOptions.config;
    if (!scope) return;
    const pathToken = request.routeOptions.config.tokenInPath
      ? (request.params as { token?: string }).token
      : undefined;
    const header = pathToken ? `Token ${pathToken}` : request.headers.authorization;
    // Each failure counts against the client (auth-failure-limit.ts): over its limit, 429 instead of 401.
    const refuse = async (message: string) => {
      await countFailure(request, reply);
      return unauthorized(message);
    };
    if (!header) throw await refuse('missing Authorization header: send "Authorization: Token <token>"');
    const match = tokenHeader.exec(header);
    if (!match?.[1]) throw await refuse('malformed Authorization header: send "Authorization: Token <token>"');
    const token = await tokens.authenticate(match[1]);
    if (!token) throw await refuse('invalid or revoked token');
    if (!token.scopes.includes(scope)) throw forbidden(`this token lacks the scope "${scope}"`);
    request.auth = { orgId: token.orgId, tokenId: token.id, tokenName: token.name, scopes: token.scopes };
  });
}
