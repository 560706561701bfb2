/**
 * The codec server (Temporal's remote codec protocol, https://docs.temporal.io/codec-server):
 * `POST /codec/decode` and `POST /codec/encode` take and answer `{ payloads: [ { metadata: { k:
 * base64 }, data: base64 } ] }` (Payloads in protobuf JSON). The Temporal Web UI ("Codec Server
 * endpoint" `http://<api>/codec`) and `temporal … --codec-endpoint http://<api>/codec` call them, so
 * an operator whose token has the scope sees decrypted payloads; anyone else sees ciphertext.
 *
 * - decode needs `payloads:read`, encode `payloads:write` (`Authorization: Token <token>`, as the
 *   rest of the API; the CLI sends it with `--codec-auth 'Token <token>'`). The Temporal Web UI
 *   cannot send that header, so the token may also be the endpoint's last segment
 *   (`http://<api>/codec/<token>`, then `/codec/<token>/decode`). The keys are the deployment's, not
 *   an organization's: these are operator scopes;
 * - CORS: the Web UI's origins (`IMEX_CODEC_CORS_ORIGINS`, by default the local Temporal UI) may
 *   call from the browser, with the `X-Namespace` header the UI sends; answers carry the CORS
 *   headers on errors too, so the UI sees a 401 as a 401;
 * - a payload that cannot be decrypted (unknown key id, altered) answers 400 naming the payload
 *   and the key id; payloads that are not encrypted come back unchanged.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { UnknownEncryptionKeyError } from '../../crypto/keyring';
import { DecryptionFailedError } from '../../crypto/aes-gcm';
import { MalformedEncryptedPayloadError } from '../../temporal/encryption-codec';
import type { ApiDeps } from '../deps';
import { errorBodySchema, validationError } from '../errors';

export const CODEC_PATH = '/codec';
/** Headers the Web UI and the CLI send with codec requests. */
const ALLOWED_HEADERS = 'authorization, content-type, x-namespace';

const payloadJson = z.object({
  metadata: z.record(z.string(), z.base64()).optional(),
  data: z.base64().optional(),
});
type PayloadJson = z.infer<typeof payloadJson>;
const payloadsJson = z.object({ payloads: z.array(payloadJson) });

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Browser origins allowed to call (the Temporal Web UI's); `*` allows any, without credentials. */
  corsOrigins: readonly string[];
}

function fromJson(payload: PayloadJson): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): PayloadJson {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
}

/** Codec failures of one payload, as the 400 names them. */
function isPayloadError(err: unknown): err is Error {
  return (
    err instanceof UnknownEncryptionKeyError ||
    err instanceof DecryptionFailedError ||
    err instanceof MalformedEncryptedPayloadError
  );
}

export const codecRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const options = deps.codecServer;
  if (!options) return;
  const { codec, corsOrigins } = options;

  const allowOrigin = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const origin = request.headers.origin;
    if (!origin) return false;
    reply.header('vary', 'Origin');
    if (corsOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      return true;
    }
    if (corsOrigins.includes('*')) {
      reply.header('access-control-allow-origin', '*');
      return true;
    }
    return false;
  };
  // onSend also runs for errors (a 401 from the token check), so the browser can read them.
  app.addHook('onSend', async (request, reply) => {
    allowOrigin(request, reply);
  });

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    if (allowOrigin(request, reply)) {
      reply.header('access-control-allow-methods', 'POST, OPTIONS');
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
    }
    return reply.status(204).send();
  };
  for (const url of [`${CODEC_PATH}/:operation`, `${CODEC_PATH}/:token/:operation`]) {
    app.options(url, { config: { public: true }, schema: { hide: true } }, preflight);
  }

  const encode = async (payloads: PayloadJson[]) => ({
    payloads: (await codec.encode(payloads.map(fromJson))).map(toJson),
  });
  const decode = async (payloads: PayloadJson[]) => {
    // One payload at a time, so a 400 names the one that failed.
    const decoded: PayloadJson[] = [];
    for (const [index, payload] of payloads.entries()) {
      try {
        decoded.push(...(await codec.decode([fromJson(payload)])).map(toJson));
      } catch (err) {
        if (!isPayloadError(err)) throw err;
        throw validationError([{ path: `payloads[${index}]`, in: 'body', message: err.message }]);
      }
    }
    return { payloads: decoded };
  };

  const responses = { 200: payloadsJson, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema };
  const operations = [
    { name: 'decode', scope: 'payloads:read', summary: 'Decrypts Temporal payloads (codec server)', run: decode },
    { name: 'encode', scope: 'payloads:write', summary: 'Encrypts Temporal payloads (codec server)', run: encode },
  ] as const;
  for (const prefix of [CODEC_PATH, `${CODEC_PATH}/:token`]) {
    // `/codec/<token>/…`: the Temporal Web UI sends no Authorization header of ours, only to the endpoint it is given.
    const tokenInPath = prefix !== CODEC_PATH;
    const inPath = tokenInPath ? { params: z.object({ token: z.string().min(1) }), hide: true } : {};
    for (const { name, scope, summary, run } of operations) {
      app.post(
        `${prefix}/${name}`,
        {
          config: { scope, tokenInPath },
          schema: { tags: ['codec'], summary, ...inPath, body: payloadsJson, response: responses },
        },
        async (request) => run(request.body.payloads),
      );
    }
  }
};
