/**
 * `http:ActionSendData` v3: Make's "Make a request". The request lives in `mapper` (url,
 * method, headers, qs, bodyType, contentType, data, parseResponse, timeout, gzip,
 * followRedirect, followAllRedirects, rejectUnauthorized, shareCookies, authUser/authPass);
 * `parameters.handleErrors` true makes any status outside 2xx/3xx an error, classified by
 * `categoryForStatus`; false returns it as output. The output bundle is
 * `{ statusCode, headers: [{ name, value }], data }`. Connection failures, timeouts and
 * oversized responses are errors either way.
 *
 * Every request carries `Idempotency-Key: <ctx.idempotencyKey>` unless the user set one, so a
 * service that deduplicates sees one request however often the operation is retried.
 * `multipart_form_data` sends `formFields` as parts (`fieldType: "file"` ones as files); `binary`
 * sends `data`'s bytes. Not implemented: cookie sharing between modules (`shareCookies` is accepted and has no effect), mTLS and custom CAs.
 */
import { z } from 'zod';
import { ModuleError } from '../domain';
import { defineModule, type ModuleRunContext, type OutputBundle } from './contract';
import { categoryForStatus, isErrorStatus, parseRetryAfter } from './http-status';
import { sendHttpRequest, type HttpResponse } from './http-transport';
import { EgressPolicy } from '../egress/egress-policy';

export interface HttpModuleOptions {
  /** Largest response body accepted (after decompression). Default 2 MiB: see below. */
  maxResponseBytes?: number;
  /** Timeout when the blueprint leaves `timeout` empty, in seconds. Default 300, Make's maximum. */
  defaultTimeoutSeconds?: number;
  /** Clock for HTTP-date Retry-After values; tests pin it. */
  now?: () => number;
  /**
   * Where requests may go (src/egress/egress-policy.ts). Default: the strict policy, public
   * addresses only; a worker passes the deployment's (IMEX_EGRESS_ALLOW, the stack's own ports).
   */
  egress?: EgressPolicy;
}

/**
 * 2 MiB: the output bundle travels in a Temporal payload, whose default limit is 2 MB; a
 * larger body would fail later and less clearly. Deployments that store bundles by reference
 * can raise it.
 */
export const defaultMaxResponseBytes = 2 * 1024 * 1024;

const nameValue = z.looseObject({ name: z.string(), value: z.unknown().optional() });
/** Make exports booleans as booleans, but mappings and old exports produce "true"/"false". */
const flag = (fallback: boolean) =>
  z.preprocess(
    (v) => (v === 'true' ? true : v === 'false' ? false : v === '' ? undefined : v),
    z.boolean().default(fallback),
  );
/** Empty text (Make exports `"timeout": ""`) means "not set". */
const emptyAsUnset = (value: unknown) => (value === '' || value === null ? undefined : value);

export const httpParametersSchema = z.looseObject({
  handleErrors: flag(false),
  useNewZLibDeCompress: z.boolean().optional(),
});

export const httpMapperSchema = z.looseObject({
  url: z.string().min(1, 'a request needs a URL'),
  method: z.preprocess(
    (v) => (typeof v === 'string' ? v.toLowerCase() : v),
    z.enum(['get', 'head', 'post', 'put', 'patch', 'delete', 'options']).default('get'),
  ),
  headers: z.preprocess(emptyAsUnset, z.array(nameValue).default([])),
  qs: z.preprocess(emptyAsUnset, z.array(nameValue).default([])),
  bodyType: z.preprocess(
    emptyAsUnset,
    z.enum(['raw', 'x_www_form_urlencoded', 'multipart_form_data', 'binary']).optional(),
  ),
  contentType: z.preprocess(emptyAsUnset, z.string().optional()),
  data: z.preprocess(
    (v) => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v)),
    z.string().optional(),
  ),
  formFields: z
    .array(
      z.looseObject({
        key: z.string().optional(),
        name: z.string().optional(),
        value: z.unknown().optional(),
        /** multipart: `file` sends `data` (or `value`) as a file part named `fileName`. */
        fieldType: z.enum(['text', 'file']).optional(),
        data: z.unknown().optional(),
        fileName: z.string().optional(),
      }),
    )
    .optional(),
  parseResponse: flag(false),
  timeout: z.preprocess(emptyAsUnset, z.coerce.number().positive().max(300).optional()),
  gzip: flag(true),
  followRedirect: flag(true),
  followAllRedirects: flag(false),
  rejectUnauthorized: flag(true),
  shareCookies: flag(false),
  authUser: z.preprocess(emptyAsUnset, z.string().optional()),
  authPass: z.preprocess(emptyAsUnset, z.string().optional()),
});

export type HttpMapper = z.output<typeof httpMapperSchema>;
export type HttpParameters = z.output<typeof httpParametersSchema>;

const text = (value: unknown) =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

function requestHeaders(mapper: HttpMapper, idempotencyKey: string): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'imex' };
  for (const { name, value } of mapper.headers)
    if (name.trim() !== '') headers[name.trim().toLowerCase()] = text(value);
  headers['idempotency-key'] ??= idempotencyKey;
  if (mapper.authUser !== undefined && headers['authorization'] === undefined) {
    const credentials = `${mapper.authUser}:${mapper.authPass ?? ''}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return headers;
}

/** A file's bytes: Node's Buffer JSON (`{ type: "Buffer", data: [...] }`), or text as UTF-8. */
function fileBytes(value: unknown): Buffer {
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data);
  }
  return Buffer.from(text(value));
}

/** A multipart body, encoded by the platform's FormData (undici): boundary and parts as browsers send them. */
async function multipartBody(fields: NonNullable<HttpMapper['formFields']>, headers: Record<string, string>) {
  const form = new FormData();
  for (const field of fields) {
    const name = field.key ?? field.name ?? '';
    if (field.fieldType === 'file') {
      form.append(name, new Blob([fileBytes(field.data ?? field.value)]), field.fileName ?? 'file');
    } else {
      form.append(name, text(field.value));
    }
  }
  const encoded = new Response(form);
  headers['content-type'] = encoded.headers.get('content-type') ?? 'multipart/form-data';
  return Buffer.from(await encoded.arrayBuffer());
}

async function requestBody(mapper: HttpMapper, headers: Record<string, string>): Promise<Buffer | undefined> {
  if (mapper.bodyType === 'multipart_form_data') return multipartBody(mapper.formFields ?? [], headers);
  if (mapper.bodyType === 'binary') {
    // The bytes of `data` as they are; the type is the user's, else octet-stream.
    headers['content-type'] ??= mapper.contentType ?? 'application/octet-stream';
    return mapper.data === undefined ? undefined : fileBytes(mapper.data);
  }
  if (mapper.bodyType === 'x_www_form_urlencoded') {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    if (mapper.formFields) {
      const form = new URLSearchParams();
      for (const field of mapper.formFields) form.append(field.key ?? field.name ?? '', text(field.value));
      return Buffer.from(form.toString());
    }
  }
  if (mapper.data === undefined || mapper.data === '') return undefined;
  if (mapper.contentType) headers['content-type'] ??= mapper.contentType;
  return Buffer.from(mapper.data);
}

function responseData(response: HttpResponse, parse: boolean): unknown {
  const body = response.body.toString('utf8');
  const contentType = response.headers.find((h) => h.name === 'content-type')?.value ?? '';
  if (!parse || !/[/+]json\b/i.test(contentType) || body.trim() === '') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new ModuleError('DataError', `the response says JSON but is not: ${(error as Error).message}`, {
      details: { statusCode: response.statusCode, excerpt: body.slice(0, 200) },
    });
  }
}

/** The HTTP modules' options with their defaults, shared by every HTTP module. */
export function resolveHttpOptions(options: HttpModuleOptions = {}): Required<HttpModuleOptions> {
  return {
    maxResponseBytes: options.maxResponseBytes ?? defaultMaxResponseBytes,
    defaultTimeoutSeconds: options.defaultTimeoutSeconds ?? 300,
    now: options.now ?? Date.now,
    egress: options.egress ?? new EgressPolicy(),
  };
}

/** A mapped URL, or a DataError naming it. */
export function parseRequestUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ModuleError('DataError', `not a valid URL: "${text}"`);
  }
}

export function createHttpActionSendData(options: HttpModuleOptions = {}) {
  const resolved = resolveHttpOptions(options);
  return defineModule({
    type: 'http:ActionSendData',
    title: 'HTTP: Make a request',
    versions: [3],
    parametersSchema: httpParametersSchema,
    mapperSchema: httpMapperSchema,
    run: (context) => sendMakeRequest(context, resolved),
  });
}

/** Credentials a variant adds to the request: headers and query-string parameters. */
export interface HttpCredentials {
  headers?: Record<string, string>;
  qs?: { name: string; value: string }[];
}

/**
 * The request of `http:ActionSendData` and its variants: `credentials` (from a connection) go
 * over what the mapper says, and never into the output bundle or an error message.
 */
export async function sendMakeRequest(
  { parameters, mapper, signal, idempotencyKey }: ModuleRunContext<HttpParameters, HttpMapper>,
  options: Required<HttpModuleOptions>,
  credentials: HttpCredentials = {},
): Promise<OutputBundle[]> {
  const url = parseRequestUrl(mapper.url);
  for (const { name, value } of mapper.qs) if (name !== '') url.searchParams.append(name, text(value));
  for (const { name, value } of credentials.qs ?? []) url.searchParams.set(name, value);
  const headers = { ...requestHeaders(mapper, idempotencyKey), ...credentials.headers };
  const body = await requestBody(mapper, headers);

  const response = await sendHttpRequest({
    url,
    method: mapper.method.toUpperCase(),
    headers,
    ...(body ? { body } : {}),
    timeoutMs: (mapper.timeout ?? options.defaultTimeoutSeconds) * 1000,
    maxResponseBytes: options.maxResponseBytes,
    followRedirect: mapper.followRedirect,
    followAllRedirects: mapper.followAllRedirects,
    rejectUnauthorized: mapper.rejectUnauthorized,
    gzip: mapper.gzip,
    signal,
    secretHeaders: Object.keys(credentials.headers ?? {}),
    egress: options.egress,
  });

  if (parameters.handleErrors && isErrorStatus(response.statusCode)) throw statusError(response, options.now());
  return [
    {
      statusCode: response.statusCode,
      headers: response.headers,
      data: responseData(response, mapper.parseResponse),
    },
  ];
}

export function statusError(response: HttpResponse, nowMs: number): ModuleError {
  const category = categoryForStatus(response.statusCode);
  const retryAfter = response.headers.find((h) => h.name === 'retry-after')?.value;
  const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
  const excerpt = response.body.toString('utf8').slice(0, 500);
  const message = `[${response.statusCode}] ${response.statusMessage}${excerpt ? `: ${excerpt}` : ''}`;
  return new ModuleError(category, message, {
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    details: { statusCode: response.statusCode, headers: response.headers, ...(retryAfter ? { retryAfter } : {}) },
  });
}

/** The built-in with default limits. */
export const httpActionSendData = createHttpActionSendData();
