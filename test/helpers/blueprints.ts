/** Blueprint pieces the integration tests share. */

/** Make's webhook trigger as module 1: the run's input data becomes its bundle. */
export const webhookTrigger = { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} };
