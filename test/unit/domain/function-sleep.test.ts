import { sleepDurationMs } from '../../../src/domain';
import { createDefaultRegistry, invokeModule } from '../../../src/modules';

describe('sleepDurationMs', () => {
  it('takes whole seconds from 1 to 300, as a number or its text', () => {
    expect(sleepDurationMs({ duration: 1 })).toEqual({ ms: 1000 });
    expect(sleepDurationMs({ duration: '300' })).toEqual({ ms: 300_000 });
  });

  it('names the field and the bounds for anything else', () => {
    for (const duration of [0, 301, 1.5, 'soon', undefined]) {
      expect(sleepDurationMs({ duration })).toEqual({
        error: expect.stringContaining('mapper.duration: the delay is a whole number of seconds from 1 to 300'),
      });
    }
  });
});

describe('util:FunctionSleep outside a run', () => {
  const registry = createDefaultRegistry();
  const execution = { executionId: 'f'.repeat(32), moduleId: 3, bundleIndex: 0, attempt: 1 };

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const waiting = invokeModule(registry.get('util:FunctionSleep')!, {
      parameters: {},
      mapper: { duration: 300 },
      execution,
      signal: controller.signal,
    });
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
  });

  it('rejects a delay beyond 300 seconds with a DataError naming the field', async () => {
    await expect(
      invokeModule(registry.get('util:FunctionSleep')!, { parameters: {}, mapper: { duration: 301 }, execution }),
    ).rejects.toMatchObject({ category: 'DataError', message: expect.stringContaining('mapper.duration') });
  });
});
