// Worker logs at ERROR only: module failures are what these tests provoke (the SDK logs each at
// WARN); test output stays readable, real errors stay loud.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
