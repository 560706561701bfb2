/**
 * `http:ActionSendDataBasicAuth` and `http:ActionSendDataAPIKeyAuth` v3: `http:ActionSendData`
 * with credentials from a connection the blueprint names by id (Make's keychains): Basic auth in
 * `parameters.key`, an API key in `parameters.auth` (`connection` is accepted for both). The mapper
 * is `http:ActionSendData`'s.
 *
 * The secret is read when the operation runs and goes into the request only: never into the
 * output, an error (messages are scrubbed of it), the blueprint, a log line or a Temporal payload.
 * A connection that does not exist (deleted, another organization's) is an
 * InvalidConfigurationError: a person fixes the scenario or the connection, then retries the IE.
 */
import { z } from 'zod';
import { ModuleError, type ConnectionSecret } from '../domain';
import { defineModule, type ModuleRunContext } from './contract';
import {
  httpMapperSchema,
  httpParametersSchema,
  resolveHttpOptions,
  sendMakeRequest,
  type HttpCredentials,
  type HttpMapper,
  type HttpModuleOptions,
  type HttpParameters,
} from './http-action-send-data';

const connectionId = z.coerce.number().int().positive('must be a connection id');

function authParameters(field: 'key' | 'auth') {
  return httpParametersSchema
    .extend({ [field]: connectionId.optional(), connection: connectionId.optional() })
    .superRefine((parameters, ctx) => {
      if (parameters[field] === undefined && parameters.connection === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'a connection id is required' });
      }
    })
    .transform((parameters): HttpParameters & { connectionId: number } => ({
      ...(parameters as HttpParameters),
      connectionId: (parameters[field] ?? parameters.connection) as number,
    }));
}

type AuthParameters = z.output<ReturnType<typeof authParameters>>;

async function secretFor<T extends ConnectionSecret['type']>(
  context: ModuleRunContext<AuthParameters, HttpMapper>,
  type: T,
): Promise<Extract<ConnectionSecret, { type: T }>> {
  const id = context.parameters.connectionId;
  const secret = await context.connections?.secretOf(id);
  if (!secret)
    throw new ModuleError('InvalidConfigurationError', `connection ${id} does not exist in this organization`);
  if (secret.type !== type) {
    throw new ModuleError('InvalidConfigurationError', `connection ${id} is a ${secret.type} connection, not ${type}`);
  }
  return secret as Extract<ConnectionSecret, { type: T }>;
}

/** Runs the request; whatever it throws is rebuilt without any of `secrets` in its text. */
async function withoutSecrets<T>(secrets: string[], send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof ModuleError)) throw error;
    const scrub = (text: string) => secrets.filter((s) => s !== '').reduce((t, s) => t.split(s).join('***'), text);
    // The cause may quote the request: it is dropped; the category and details stay.
    return Promise.reject(
      new ModuleError(error.category, scrub(error.message), {
        details: JSON.parse(scrub(JSON.stringify(error.details))) as Record<string, unknown>,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      }),
    );
  }
}

export function createHttpActionSendDataBasicAuth(moduleOptions: HttpModuleOptions = {}) {
  const resolved = resolveHttpOptions(moduleOptions);
  return defineModule({
    type: 'http:ActionSendDataBasicAuth',
    title: 'HTTP: Make a Basic Auth request',
    versions: [3],
    parametersSchema: authParameters('key'),
    mapperSchema: httpMapperSchema,
    async run(context) {
      const secret = await secretFor(context, 'basicauth');
      const token = Buffer.from(`${secret.username}:${secret.password}`).toString('base64');
      const credentials: HttpCredentials = { headers: { authorization: `Basic ${token}` } };
      return withoutSecrets([secret.password, token], () => sendMakeRequest(context, resolved, credentials));
    },
  });
}

export function createHttpActionSendDataApiKeyAuth(moduleOptions: HttpModuleOptions = {}) {
  const resolved = resolveHttpOptions(moduleOptions);
  return defineModule({
    type: 'http:ActionSendDataAPIKeyAuth',
    title: 'HTTP: Make an API Key Auth request',
    versions: [3],
    parametersSchema: authParameters('auth'),
    mapperSchema: httpMapperSchema,
    async run(context) {
      const secret = await secretFor(context, 'apikeyauth');
      const credentials: HttpCredentials =
        secret.placement === 'qs'
          ? { qs: [{ name: secret.name, value: secret.key }] }
          : { headers: { [secret.name.toLowerCase()]: secret.key } };
      return withoutSecrets([secret.key, encodeURIComponent(secret.key)], () =>
        sendMakeRequest(context, resolved, credentials),
      );
    },
  });
}
