// Worker logs at WARN and above only: test output stays readable, failures stay loud.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
