import { createDefaultRegistry, invokeModule, type ModuleExecution, type WebhookResponder } from '../../../src/modules';

const registry = createDefaultRegistry();
const execution: ModuleExecution = { executionId: 'f'.repeat(32), moduleId: 3, bundleIndex: 0, attempt: 1 };

function recorder() {
  const responses: Parameters<WebhookResponder['respond']>[0][] = [];
  const webhookResponses: WebhookResponder = { respond: async (response) => void responses.push(response) };
  return { responses, webhookResponses };
}

const respond = (mapper: unknown, webhookResponses?: WebhookResponder) =>
  invokeModule(registry.get('gateway:WebhookRespond')!, {
    parameters: {},
    mapper,
    execution,
    ...(webhookResponses ? { webhookResponses } : {}),
  });

describe('gateway:WebhookRespond', () => {
  it('records status, headers and a text body as is, and outputs one empty bundle', async () => {
    const { responses, webhookResponses } = recorder();
    await expect(
      respond({ status: '201', body: 'made', headers: [{ key: 'X-Id', value: 7 }] }, webhookResponses),
    ).resolves.toEqual([{}]);
    expect(responses).toEqual([{ status: 201, body: 'made', headers: [{ key: 'X-Id', value: '7' }] }]);
  });

  it('records any other body as JSON, and nothing as empty text', async () => {
    const { responses, webhookResponses } = recorder();
    await respond({ status: 200, body: { ok: true } }, webhookResponses);
    await respond({ status: 204, headers: '' }, webhookResponses);
    expect(responses).toEqual([
      { status: 200, body: '{"ok":true}', headers: [] },
      { status: 204, body: '', headers: [] },
    ]);
  });

  it('refuses a status outside 100-599 and a bad header name, naming the field', async () => {
    const { webhookResponses } = recorder();
    await expect(respond({ status: 99 }, webhookResponses)).rejects.toMatchObject({
      category: 'DataError',
      message: expect.stringContaining('mapper.status: must be at least 100'),
    });
    await expect(
      respond({ status: 200, headers: [{ key: 'bad header', value: 'x' }] }, webhookResponses),
    ).rejects.toMatchObject({
      message: expect.stringContaining('mapper.headers[0].key: must be a header name'),
    });
  });
});
