/**
 * What an integration test file needs from the shared stack: a Temporal namespace of its own
 * jest worker, a connected client, and a MongoDB database of its own (dropped afterwards).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { closableRetry } from '../../src/temporal/closable-retry';
import { NativeConnection } from '@temporalio/worker';
import { MongoClient, type Db } from 'mongodb';

export interface TestEnv {
  namespace: string;
  temporalAddress: string;
  connection: Connection;
  nativeConnection: NativeConnection;
  client: Client;
  mongo: MongoClient;
  db: Db;
  /** A name unique to this test file and run, for task queues, ids and scenario names. */
  unique(prefix: string): string;
  close(): Promise<void>;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest (global setup starts the stack)`);
  return value;
}

export async function openTestEnv(): Promise<TestEnv> {
  const temporalAddress = required('IMEX_TEST_TEMPORAL_ADDRESS');
  const namespaces = required('IMEX_TEST_NAMESPACES').split(',');
  const worker = Number(process.env.JEST_WORKER_ID ?? '1');
  const namespace = namespaces[(worker - 1) % namespaces.length] as string;
  // A call cut off by close() (a long poll, an activity that outlived its worker) is not retried:
  // the SDK's retry would hit the closed channel and throw outside any test.
  const retry = closableRetry();
  const connection = await Connection.connect({ address: temporalAddress, interceptors: retry.interceptors });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace });
  const mongo = await MongoClient.connect(required('IMEX_TEST_MONGO_URL'));
  const file = path.basename(expect.getState().testPath ?? 'test', '.test.ts').replace(/[^A-Za-z0-9]/g, '-');
  const runId = crypto.randomBytes(4).toString('hex');
  const db = mongo.db(`t-${file}-${runId}`.slice(0, 60));
  return {
    namespace,
    temporalAddress,
    connection,
    nativeConnection,
    client,
    mongo,
    db,
    unique: (prefix) => `${prefix}-${file}-${runId}-${crypto.randomBytes(3).toString('hex')}`,
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await nativeConnection.close();
      await retry.close(connection);
    },
  };
}
