/**
 * The domain's zod schemas: where input is validated (the API, config, the module registry, the
 * activities). Workflow code never imports them (zod is heavy, and every cached workflow would
 * evaluate it again): it uses the plain domain (../plain.ts), and checks the requests an IE takes
 * with ../incomplete-execution-requests.ts.
 */
export * from './errors';
export * from './statuses';
export * from './ids';
export * from './schedule';
export * from './policy';
export * from './ie-changes';
export * from './filter';
export * from './blueprint';
export * from './coordination';
export * from './incomplete-execution';
export * from './validate-blueprint';
export * from './data-structure';
