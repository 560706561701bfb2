/**
 * The operator page: `GET /ui/` serves `src/api/web/` (one HTML, a few JS modules, one CSS file,
 * no build step); `GET /` redirects there. Loading the page needs no token; every data call the page
 * makes goes to `/api/v2` with the token the operator typed into it.
 *
 * The files are read once, when the server is created. The security headers, the
 * Content-Security-Policy among them, are the server's (security-headers.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

export const WEB_PATH = '/ui';

const webDir = path.join(__dirname, '..', 'web');

const files = {
  '/': { name: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { name: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui.js': { name: 'ui.js', type: 'text/javascript; charset=utf-8' },
  '/fix.js': { name: 'fix.js', type: 'text/javascript; charset=utf-8' },
  '/all-ies.js': { name: 'all-ies.js', type: 'text/javascript; charset=utf-8' },
  '/ie-filters.js': { name: 'ie-filters.js', type: 'text/javascript; charset=utf-8' },
  '/bulk-operations.js': { name: 'bulk-operations.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { name: 'app.css', type: 'text/css; charset=utf-8' },
} as const;

export const webRoutes: FastifyPluginAsync = async (app) => {
  for (const [route, file] of Object.entries(files)) {
    const body = readFileSync(path.join(webDir, file.name));
    app.get(`${WEB_PATH}${route}`, { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.headers({ 'cache-control': 'no-cache', 'content-type': file.type }).send(body),
    );
  }
  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect(`${WEB_PATH}/`),
  );
};
