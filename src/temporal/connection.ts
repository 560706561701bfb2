/** Connections to Temporal from the config: address, namespace, TLS / mTLS, API key. */
import fs from 'node:fs';
import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ImexConfig } from '../config';
import type { Keyring } from '../crypto/keyring';
import { imexDataConverter } from './data-converter';
import { closableRetry } from './closable-retry';
import { failFastRetry } from './unavailable';

export interface TemporalConnections {
  /** The worker's and maintenance's client: patient, retries an unreachable server for ~20 s. */
  client: Client;
  /** The API's client: gives up on an unreachable server within a second (the API answers 503). */
  apiClient: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** With a keyring, both clients encrypt and decrypt payloads as imex's workers do. */
export async function connectTemporal(
  config: ImexConfig,
  address: string,
  /** The payload keys, and client interceptors (tracing: temporal/tracing-plugin.ts), for both clients. */
  extra: { keyring?: Keyring; interceptors?: ClientInterceptors } = {},
): Promise<TemporalConnections> {
  const tls =
    config.TEMPORAL_TLS || config.TEMPORAL_TLS_CERT_PATH
      ? {
          ...(config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
            ? {
                clientCertPair: {
                  crt: fs.readFileSync(config.TEMPORAL_TLS_CERT_PATH),
                  key: fs.readFileSync(config.TEMPORAL_TLS_KEY_PATH),
                },
              }
            : {}),
        }
      : undefined;
  const options = {
    address,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
  const patientRetry = closableRetry();
  const apiRetry = failFastRetry();
  const connection = await Connection.connect({ ...options, interceptors: patientRetry.interceptors });
  const apiConnection = await Connection.connect({ ...options, interceptors: apiRetry.interceptors });
  const nativeConnection = await NativeConnection.connect(options);
  const dataConverter = imexDataConverter(extra.keyring);
  const interceptors = extra.interceptors ? { interceptors: extra.interceptors } : {};
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter, ...interceptors });
  const apiClient = new Client({
    connection: apiConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter,
    ...interceptors,
  });
  return {
    client,
    apiClient,
    connection,
    nativeConnection,
    close: async () => {
      await Promise.all([patientRetry.close(connection), apiRetry.close(apiConnection)]);
      await nativeConnection.close();
    },
  };
}
