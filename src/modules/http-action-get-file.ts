/**
 * `http:ActionGetFile` v3: Make's "Get a file". parameters `handleErrors`; mapper `url` (and
 * `method` "get", `serializeUrl`, `shareCookies`, accepted). Output `{ fileName, fileSize,
 * contentType, data }`, `data` being the bytes as Node's Buffer JSON (`{ type: "Buffer", data }`),
 * which the multipart file parts of `http:ActionSendData` take as they are. A file over 64 KiB
 * of JSON travels by reference like any large bundle (docs/blobs.md); over `maxResponseBytes`
 * (2 MiB by default) it is a MaxFileSizeExceededError.
 */
import { z } from 'zod';
import { defineModule } from './contract';
import {
  httpParametersSchema,
  parseRequestUrl,
  resolveHttpOptions,
  statusError,
  type HttpModuleOptions,
} from './http-action-send-data';
import { isErrorStatus } from './http-status';
import { sendHttpRequest } from './http-transport';

/** The file's name: Content-Disposition's, else the URL's last path segment, else "file". */
export function fileNameOf(url: URL, disposition: string | undefined): string {
  const quoted = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  if (quoted?.[1]) {
    try {
      return decodeURIComponent(quoted[1]);
    } catch {
      return quoted[1];
    }
  }
  const last = url.pathname.split('/').filter(Boolean).pop();
  return last ? decodeURIComponent(last) : 'file';
}

export function createHttpActionGetFile(options: HttpModuleOptions = {}) {
  const { maxResponseBytes, defaultTimeoutSeconds, now, egress } = resolveHttpOptions(options);
  return defineModule({
    type: 'http:ActionGetFile',
    title: 'HTTP: Get a file',
    versions: [3],
    parametersSchema: httpParametersSchema,
    mapperSchema: z.looseObject({ url: z.string().min(1, 'a file needs a URL'), method: z.string().optional() }),
    async run({ parameters, mapper, signal, idempotencyKey }) {
      const url = parseRequestUrl(mapper.url);
      const response = await sendHttpRequest({
        url,
        method: 'GET',
        headers: { 'user-agent': 'imex', 'idempotency-key': idempotencyKey },
        timeoutMs: defaultTimeoutSeconds * 1000,
        maxResponseBytes,
        followRedirect: true,
        followAllRedirects: false,
        rejectUnauthorized: true,
        gzip: true,
        signal,
        egress,
      });
      if (parameters.handleErrors && isErrorStatus(response.statusCode)) throw statusError(response, now());
      const header = (name: string) => response.headers.find((h) => h.name === name)?.value;
      return [
        {
          fileName: fileNameOf(url, header('content-disposition')),
          fileSize: response.body.length,
          contentType: header('content-type') ?? 'application/octet-stream',
          statusCode: response.statusCode,
          data: response.body.toJSON(),
        },
      ];
    },
  });
}
