/** Blueprint pieces the integration tests share. */

/** Make's webhook trigger as module 1: the run's input data becomes its bundle. */
export const webhookTrigger = { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} };

/** An `http:ActionSendData` v3 module that POSTs JSON to `url`, with errors raised (`handleErrors`). */
export function httpSendDataModule(
  id: number,
  url: string,
  mapper: Record<string, unknown> = {},
  parameters: Record<string, unknown> = {},
) {
  return {
    id,
    module: 'http:ActionSendData',
    version: 3,
    parameters: { handleErrors: true, ...parameters },
    mapper: { url, method: 'post', bodyType: 'raw', contentType: 'application/json', ...mapper },
  };
}
