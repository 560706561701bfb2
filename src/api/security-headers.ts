/**
 * The usual security headers on every answer of the API server, set by @fastify/helmet
 * (docs/security.md#api-hardening): nosniff, no framing, no referrer, HSTS (honoured over HTTPS),
 * cross-origin isolation of the page, and a Content-Security-Policy that lets the web page
 * (src/api/web) run only its own script and style and talk only to its own origin. A webhook's
 * answer is the scenario's (gateway:WebhookRespond), so its route sets no CSP of imex's.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const contentSecurityPolicy = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    connectSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, { global: true, contentSecurityPolicy });
}
