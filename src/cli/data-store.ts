/**
 * `imex datastore` (alias `data-store`) and `imex datastructure` (alias `data-structure`): Make's
 * data stores, their records and their data structures, through the HTTP API.
 */
import type { Command } from 'commander';
import { apiRequest } from './api-client';
import { CliContext, CliError, exitCodes, nonNegativeInt, positiveInt, table, type Output } from './context';

type Action = (context: CliContext, ...args: never[]) => Promise<void>;

interface DataStoreView {
  id: number;
  name: string;
  datastructureId: number | null;
  records: number;
  size: string;
  maxSize: string;
}
interface DataStructureView {
  id: number;
  name: string;
  strict: boolean;
  spec: { name: string; type: string; required?: boolean }[];
}
interface RecordView {
  key: string;
  data: Record<string, unknown>;
}

function jsonArgument(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not valid JSON: ${(error as Error).message}`, exitCodes.usage);
  }
}

function printStore(context: CliContext, dataStore: DataStoreView): void {
  context.print({ dataStore }, (out) => {
    out(`Data store ${dataStore.id} "${dataStore.name}"`);
    out(`  records:   ${dataStore.records}`);
    out(`  size:      ${dataStore.size} of ${dataStore.maxSize} bytes`);
    out(`  structure: ${dataStore.datastructureId ?? '(none: key and value only)'}`);
  });
}

export function registerDataStoreCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const run =
    <A extends Action>(action: A) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      await action(new CliContext(command, output, env), ...(args.slice(0, -1) as never[]));
    };
  const id = positiveInt('data store id');
  const paging = (options: { offset: number; limit: number }) =>
    `pg[offset]=${options.offset}&pg[limit]=${options.limit}`;

  const store = program
    .command('datastore')
    .alias('data-store')
    .description('data stores and their records (through the API: IMEX_API_URL, IMEX_TOKEN)');

  store
    .command('list')
    .description("the organization's data stores")
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--offset <n>', 'skip this many', nonNegativeInt('--offset'), 0)
    .action(
      run(async (context, options: { limit: number; offset: number }) => {
        const result = await apiRequest<{ dataStores: DataStoreView[] }>(
          context,
          'GET',
          `/data-stores?${paging(options)}`,
        );
        context.print(result, (out) =>
          table(
            result.dataStores.map((s) => ({ ...s })),
            ['id', 'name', 'records', 'size', 'maxSize', 'datastructureId'],
          ).forEach((l) => out(l)),
        );
      }),
    );

  store
    .command('create')
    .description('create a data store')
    .requiredOption('--name <name>', 'its name')
    .requiredOption('--max-size-mb <mb>', 'its maximum size in MB (Make: at least 1)', positiveInt('--max-size-mb'))
    .option('--structure <id>', 'the data structure its records follow', positiveInt('--structure'))
    .action(
      run(async (context, options: { name: string; maxSizeMb: number; structure?: number }) => {
        const body = {
          name: options.name,
          maxSizeMB: options.maxSizeMb,
          ...(options.structure === undefined ? {} : { datastructureId: options.structure }),
        };
        printStore(
          context,
          (await apiRequest<{ dataStore: DataStoreView }>(context, 'POST', '/data-stores', body)).dataStore,
        );
      }),
    );

  store
    .command('show')
    .alias('get')
    .description('one data store')
    .argument('<id>', 'data store id', id)
    .action(
      run(async (context, dataStoreId: number) => {
        printStore(
          context,
          (await apiRequest<{ dataStore: DataStoreView }>(context, 'GET', `/data-stores/${dataStoreId}`)).dataStore,
        );
      }),
    );

  store
    .command('delete')
    .description('delete a data store and all its records')
    .argument('<id>', 'data store id', id)
    .action(
      run(async (context, dataStoreId: number) => {
        const result = await apiRequest<{ dataStore: number }>(
          context,
          'DELETE',
          `/data-stores/${dataStoreId}?confirmed=true`,
        );
        context.print(result, (out) => out(`Data store ${dataStoreId} deleted`));
      }),
    );

  store
    .command('records')
    .description("a data store's records, in key order")
    .argument('<id>', 'data store id', id)
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--offset <n>', 'skip this many', nonNegativeInt('--offset'), 0)
    .action(
      run(async (context, dataStoreId: number, options: { limit: number; offset: number }) => {
        const result = await apiRequest<{ records: RecordView[] }>(
          context,
          'GET',
          `/data-stores/${dataStoreId}/data?${paging(options)}`,
        );
        context.print(result, (out) =>
          table(
            result.records.map((r) => ({ key: r.key, data: JSON.stringify(r.data) })),
            ['key', 'data'],
          ).forEach((l) => out(l)),
        );
      }),
    );

  store
    .command('put')
    .description('add or replace a record: its fields as JSON')
    .argument('<id>', 'data store id', id)
    .argument('<key>', 'the record key')
    .argument('<data>', 'the fields, as a JSON object')
    .action(
      run(async (context, dataStoreId: number, key: string, data: string) => {
        const record = await apiRequest<RecordView>(
          context,
          'PUT',
          `/data-stores/${dataStoreId}/data/${encodeURIComponent(key)}`,
          jsonArgument('<data>', data),
        );
        context.print(record, (out) => out(`Record "${record.key}" stored: ${JSON.stringify(record.data)}`));
      }),
    );

  store
    .command('delete-records')
    .description('delete records by key, or --all of them')
    .argument('<id>', 'data store id', id)
    .argument('[keys...]', 'the keys')
    .option('--all', 'every record of the store')
    .action(
      run(async (context, dataStoreId: number, keys: string[], options: { all?: boolean }) => {
        if (!options.all && keys.length === 0) throw new CliError('name keys, or give --all', exitCodes.usage);
        const result = await apiRequest<{ deleted: number }>(
          context,
          'DELETE',
          `/data-stores/${dataStoreId}/data?confirmed=true`,
          options.all ? { all: true } : { keys },
        );
        context.print(result, (out) => out(`${result.deleted} record(s) deleted`));
      }),
    );

  const structure = program
    .command('datastructure')
    .alias('data-structure')
    .description("data structures: the typed fields of data stores' records (through the API)");

  structure
    .command('list')
    .description("the organization's data structures")
    .action(
      run(async (context) => {
        const result = await apiRequest<{ dataStructures: DataStructureView[] }>(context, 'GET', '/data-structures');
        context.print(result, (out) =>
          table(
            result.dataStructures.map((s) => ({
              id: s.id,
              name: s.name,
              strict: s.strict,
              fields: s.spec.map((f) => `${f.name}:${f.type}${f.required ? '!' : ''}`).join(' '),
            })),
            ['id', 'name', 'strict', 'fields'],
          ).forEach((l) => out(l)),
        );
      }),
    );

  structure
    .command('create')
    .description('create a data structure from its fields (Make\'s spec: [{ "name", "type", "required" }])')
    .requiredOption('--name <name>', 'its name')
    .requiredOption('--spec <json>', 'the fields, as a JSON array')
    .option('--strict', 'refuse fields the structure does not declare')
    .action(
      run(async (context, options: { name: string; spec: string; strict?: boolean }) => {
        const body = {
          name: options.name,
          spec: jsonArgument('--spec', options.spec),
          strict: options.strict ?? false,
        };
        const result = await apiRequest<{ dataStructure: DataStructureView }>(
          context,
          'POST',
          '/data-structures',
          body,
        );
        context.print(result, (out) =>
          out(`Data structure ${result.dataStructure.id} "${result.dataStructure.name}" created`),
        );
      }),
    );
}
