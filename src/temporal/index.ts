/** imex on Temporal: the plugin, a worker built with it, and the typed client. */
export * from './plugin';
export * from './worker';
export * from './client';
