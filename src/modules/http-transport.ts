/**
 * One HTTP exchange over node:http/https, with the limits a module needs: an overall timeout,
 * a response size limit enforced while downloading, redirects, decompression and cancellation.
 * Failures come out as `ModuleError`s with Make's categories.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { ModuleError } from '../domain';
import { EgressRefusedError, type EgressPolicy } from '../egress/egress-policy';
import { systemErrorCategory } from './classify';

export interface HttpRequestSpec {
  url: URL;
  /** Upper case. */
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Follow redirects of GET and HEAD requests. */
  followRedirect: boolean;
  /** Follow redirects of every method (Make's `followAllRedirects`). */
  followAllRedirects: boolean;
  rejectUnauthorized: boolean;
  /** Ask for compressed content and decompress it. */
  gzip: boolean;
  signal: AbortSignal;
  /** Headers that hold credentials besides `authorization` (an API key): not sent to another origin. */
  secretHeaders?: string[];
  /** Where the request (and each redirect) may connect: src/egress/egress-policy.ts. */
  egress: EgressPolicy;
}

export interface HttpResponse {
  statusCode: number;
  statusMessage: string;
  /** Lower-case names, in the order received, repeated headers kept. */
  headers: { name: string; value: string }[];
  body: Buffer;
}

const maxRedirects = 10;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

export async function sendHttpRequest(spec: HttpRequestSpec): Promise<HttpResponse> {
  const deadline = Date.now() + spec.timeoutMs;
  let request = { url: spec.url, method: spec.method, headers: spec.headers, body: spec.body };
  for (let redirects = 0; ; redirects++) {
    const response = await exchange(spec, request, deadline);
    const location = response.headers.find((h) => h.name === 'location')?.value;
    const followable =
      request.method === 'GET' || request.method === 'HEAD' ? spec.followRedirect : spec.followAllRedirects;
    if (!redirectStatuses.has(response.statusCode) || !location || !followable) return response;
    if (redirects >= maxRedirects) {
      throw new ModuleError('InvalidConfigurationError', `more than ${maxRedirects} redirects from ${spec.url.href}`);
    }
    const next = new URL(location, request.url);
    // 307/308 repeat the request; the others turn it into a GET without a body.
    const keepsMethod = response.statusCode === 307 || response.statusCode === 308;
    const headers = { ...request.headers };
    if (next.origin !== request.url.origin) {
      for (const name of ['authorization', ...(spec.secretHeaders ?? [])]) delete headers[name];
    }
    if (!keepsMethod) {
      delete headers['content-type'];
      delete headers['content-length'];
    }
    request = keepsMethod
      ? { ...request, url: next, headers }
      : { url: next, method: request.method === 'HEAD' ? 'HEAD' : 'GET', headers, body: undefined };
  }
}

interface OneRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

function exchange(spec: HttpRequestSpec, one: OneRequest, deadline: number): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    if (spec.signal.aborted) return reject(spec.signal.reason);
    if (one.url.protocol !== 'http:' && one.url.protocol !== 'https:') {
      return reject(new ModuleError('DataError', `unsupported URL protocol "${one.url.protocol}" in ${one.url.href}`));
    }
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: unknown) => {
      settle(() => reject(error));
      request.destroy();
    };

    const headers = { ...one.headers };
    if (spec.gzip && headers['accept-encoding'] === undefined) headers['accept-encoding'] = 'gzip, deflate, br';
    if (one.body) headers['content-length'] = String(one.body.length);
    const secure = one.url.protocol === 'https:';
    const transport = secure ? https : http;
    // An IP literal is never looked up: it is checked here. A name is checked by the policy's
    // lookup, on the address the socket then connects to.
    const hostname = one.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(one.url.port) || (secure ? 443 : 80);
    const refused = net.isIP(hostname) ? spec.egress.refusal(hostname, port, hostname) : undefined;
    if (refused) return reject(egressError(refused));
    let request: http.ClientRequest;
    try {
      request = transport.request(one.url, {
        method: one.method,
        headers,
        agent: secure ? spec.egress.agents.https : spec.egress.agents.http,
        lookup: spec.egress.lookupFor(port),
        ...(one.url.protocol === 'https:' ? { rejectUnauthorized: spec.rejectUnauthorized } : {}),
      });
    } catch (error) {
      // Node refuses header names or values it cannot send: the mapped request is wrong.
      return reject(
        new ModuleError('DataError', `cannot send this request: ${(error as Error).message}`, { cause: error }),
      );
    }

    const onAbort = () => fail(spec.signal.reason);
    spec.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        fail(
          new ModuleError(
            'ModuleTimeoutError',
            `the request to ${one.url.host} timed out after ${spec.timeoutMs / 1000} s`,
            {
              details: { timeoutMs: spec.timeoutMs },
            },
          ),
        ),
      Math.max(0, deadline - Date.now()),
    );

    request.on('error', (error) => fail(toModuleError(error, one.url)));
    request.on('response', (response) => {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > spec.maxResponseBytes) {
        response.destroy();
        return fail(tooLarge(spec.maxResponseBytes, one.url));
      }
      const chunks: Buffer[] = [];
      let received = 0;
      const stream = decoded(response, spec.gzip);
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > spec.maxResponseBytes) {
          // Stop downloading at once: the limit exists to protect memory and storage.
          response.destroy();
          stream.destroy();
          return fail(tooLarge(spec.maxResponseBytes, one.url));
        }
        chunks.push(chunk);
      });
      stream.on('error', (error) => fail(toModuleError(error, one.url)));
      response.on('error', (error) => fail(toModuleError(error, one.url)));
      stream.on('end', () =>
        settle(() =>
          resolve({
            statusCode: response.statusCode ?? 0,
            statusMessage: response.statusMessage ?? '',
            headers: headerList(response.rawHeaders),
            body: Buffer.concat(chunks),
          }),
        ),
      );
    });
    request.end(one.body);
  });
}

function decoded(response: http.IncomingMessage, gzip: boolean): Readable {
  if (!gzip) return response;
  const encoding = String(response.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  return decoder ? response.pipe(decoder) : response;
}

function headerList(raw: readonly string[]): { name: string; value: string }[] {
  const list: { name: string; value: string }[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2)
    list.push({ name: (raw[i] ?? '').toLowerCase(), value: raw[i + 1] ?? '' });
  return list;
}

function tooLarge(limit: number, url: URL): ModuleError {
  return new ModuleError('MaxFileSizeExceededError', `the response from ${url.host} is larger than ${limit} bytes`, {
    details: { maxResponseBytes: limit },
  });
}

/** A refused destination is the scenario's configuration: a person must change the URL (or the policy). */
function egressError(error: EgressRefusedError): ModuleError {
  return new ModuleError('InvalidConfigurationError', error.message, {
    details: { host: error.host, port: error.port, address: error.address, rule: error.rule },
    cause: error,
  });
}

function toModuleError(error: unknown, url: URL): ModuleError {
  if (error instanceof ModuleError) return error;
  if (error instanceof EgressRefusedError) return egressError(error);
  const code = (error as { code?: unknown }).code;
  const message = `${error instanceof Error ? error.message : String(error)} (${url.host})`;
  const details = typeof code === 'string' ? { code } : {};
  // Decompression errors mean the body is not what its headers claim.
  const category = systemErrorCategory(error) ?? (String(code).startsWith('Z_') ? 'DataError' : 'UnexpectedError');
  return new ModuleError(category, message, { details, cause: error });
}
