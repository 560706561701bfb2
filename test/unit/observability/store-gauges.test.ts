/**
 * Store figures never hold a scrape up for long, and a slow store is not read again and again:
 * reads are spaced so they take at most a tenth of the time.
 */
import { createStoreGauges } from '../../../src/observability/store-gauges';
import { readOperationalFigures, type OperationalFigures } from '../../../src/store/operational-figures';
import type { Store } from '../../../src/store';

jest.mock('../../../src/store/operational-figures', () => ({ readOperationalFigures: jest.fn() }));
const read = readOperationalFigures as jest.MockedFunction<typeof readOperationalFigures>;

const figures: OperationalFigures = {
  incompleteExecutions: [{ orgId: 1, scenarioId: 2, status: 'pending', errorType: 'ConnectionError', count: 3 }],
  quota: [{ orgId: 1, usedBytes: 10, limitBytes: 100 }],
  webhookQueueDepth: [],
  bulkOperationsInFlight: [],
  maintenance: null,
};

test('a slow read: the scrape answers without waiting for it, the next one has the figures, no read again at once', async () => {
  read.mockImplementation(() => new Promise((resolve) => setTimeout(() => resolve(figures), 300)));
  const gauges = createStoreGauges({} as Store, { ttlMs: 0, scrapeWaitMs: 50 });

  const started = Date.now();
  const first = await gauges.registry.metrics();
  expect(Date.now() - started).toBeLessThan(250);
  expect(first).toContain('imex_store_figures_up 0');
  expect(first).not.toContain('imex_incomplete_executions{');

  await new Promise((resolve) => setTimeout(resolve, 400));
  const second = await gauges.registry.metrics();
  expect(second).toContain('imex_store_figures_up 1');
  expect(second).toContain(
    'imex_incomplete_executions{org_id="1",scenario_id="2",status="pending",error_type="ConnectionError"} 3',
  );
  expect(second).toContain('imex_quota_used_bytes{org_id="1"} 10');
  // The read took ~0.3 s: none again for ~2.7 s, however stale (TTL 0) and however many scrapes.
  await gauges.registry.metrics();
  await gauges.registry.metrics();
  expect(read).toHaveBeenCalledTimes(1);
});
