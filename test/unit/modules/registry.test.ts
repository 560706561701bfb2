import { z } from 'zod';
import { ModuleError, validateBlueprint } from '../../../src/domain';
import {
  classifyError,
  createDefaultRegistry,
  defineModule,
  invokeModule,
  ModuleRegistry,
  type ModuleExecution,
} from '../../../src/modules';

const execution: ModuleExecution = { executionId: 'c'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 };

/** A user's own module type, registered through the same contract as the built-ins. */
const greet = defineModule({
  type: 'acme:Greet',
  title: 'Greet someone',
  parametersSchema: z.object({ greeting: z.string().default('Hello') }),
  mapperSchema: z.object({ name: z.string().min(1) }),
  async run({ parameters, mapper }) {
    if (mapper.name === 'Mallory') throw new ModuleError('DuplicateDataError', 'already greeted');
    if (mapper.name === 'crash') throw new Error('boom');
    return [{ text: `${parameters.greeting}, ${mapper.name}!` }];
  },
});

describe('ModuleRegistry', () => {
  it('holds the built-ins', () => {
    expect(
      createDefaultRegistry()
        .list()
        .map((m) => m.type)
        .sort(),
    ).toEqual([
      'builtin:BasicAggregator',
      'builtin:BasicFeeder',
      'builtin:BasicRepeater',
      'datastore:AddRecord',
      'datastore:CountRecords',
      'datastore:DeleteAllRecords',
      'datastore:DeleteRecord',
      'datastore:ExistRecord',
      'datastore:GetRecord',
      'datastore:SearchRecord',
      'datastore:UpdateRecord',
      'email:ActionSendEmail',
      'gateway:CustomWebHook',
      'gateway:WebhookRespond',
      'http:ActionGetFile',
      'http:ActionSendData',
      'http:ActionSendDataAPIKeyAuth',
      'http:ActionSendDataBasicAuth',
      'json:AggregateToJSON',
      'json:CreateJSON',
      'json:ParseJSON',
      'json:TransformToJSON',
      'regexp:Parser',
      'regexp:Replace',
      'util:ComposeTransformer',
      'util:FunctionIncrement',
      'util:FunctionSleep',
      'util:GetVariable2',
      'util:GetVariables',
      'util:SetVariable2',
      'util:SetVariables',
      'util:Switcher',
      'util:TextAggregator',
    ]);
  });

  it('registers a custom module type that blueprints can then use', () => {
    const registry = createDefaultRegistry().register(greet);
    expect(registry.get('acme:Greet')?.title).toBe('Greet someone');
    const blueprint = {
      name: 'greeter',
      flow: [
        { id: 1, module: 'gateway:CustomWebHook', version: 1 },
        { id: 2, module: 'acme:Greet', version: 1, parameters: { greeting: 'Hi' }, mapper: { name: '{{1.name}}' } },
      ],
    };
    expect(validateBlueprint(blueprint, registry).ok).toBe(true);
    expect(validateBlueprint(blueprint, createDefaultRegistry()).ok).toBe(false);
  });

  it('rejects duplicate and badly named module types', () => {
    const registry = new ModuleRegistry().register(greet);
    expect(() => registry.register(greet)).toThrow('already registered');
    expect(() => registry.register({ ...greet, type: 'Greet' })).toThrow('must look like app:ModuleName');
    expect(() => registry.register({ ...greet, type: 'acme:' })).toThrow('must look like app:ModuleName');
    expect(() => registry.register({ ...greet, type: 'acme:Other', run: undefined as never })).toThrow(
      'needs either a run function or (an aggregator) an aggregate function',
    );
    expect(() => registry.register({ ...greet, type: 'acme:Both', aggregate: () => ({}) })).toThrow(
      'needs either a run function',
    );
  });
});

describe('invokeModule', () => {
  const registry = createDefaultRegistry().register(greet);
  const run = (parameters: unknown, mapper: unknown) =>
    invokeModule(registry.get('acme:Greet')!, { parameters, mapper, execution });

  it('applies parameter defaults and runs the module', async () => {
    await expect(run({}, { name: 'Ada' })).resolves.toEqual([{ text: 'Hello, Ada!' }]);
  });

  it('turns bad mapped data into a DataError naming the field and the module', async () => {
    await expect(run({}, { name: '' })).rejects.toMatchObject({
      category: 'DataError',
      moduleId: 2,
      message: expect.stringContaining('mapper.name'),
    });
  });

  it('turns bad parameters into an InvalidConfigurationError', async () => {
    await expect(run({ greeting: 5 }, { name: 'Ada' })).rejects.toMatchObject({
      category: 'InvalidConfigurationError',
      message: expect.stringContaining('parameters.greeting'),
    });
  });

  it("keeps a module's own category and classifies what it did not categorise", async () => {
    await expect(run({}, { name: 'Mallory' })).rejects.toMatchObject({ category: 'DuplicateDataError', moduleId: 2 });
    await expect(run({}, { name: 'crash' })).rejects.toMatchObject({ category: 'UnexpectedError', message: 'boom' });
  });

  it("uses the module's own classifier first", async () => {
    const picky = defineModule({
      ...greet,
      type: 'acme:Picky',
      async run() {
        throw new Error('quota exceeded');
      },
      classify: (error) =>
        error instanceof Error && error.message.includes('quota')
          ? new ModuleError('RateLimitError', 'slow down')
          : undefined,
    });
    await expect(invokeModule(picky, { parameters: {}, mapper: { name: 'x' }, execution })).rejects.toMatchObject({
      category: 'RateLimitError',
    });
  });

  it('rejects output that is not a list of bundles as UnexpectedError', async () => {
    const sloppy = defineModule({ ...greet, type: 'acme:Sloppy', run: async () => [1 as never] });
    await expect(invokeModule(sloppy, { parameters: {}, mapper: { name: 'x' }, execution })).rejects.toMatchObject({
      category: 'UnexpectedError',
    });
  });
});

describe('classifyError', () => {
  const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

  it.each([
    ['ECONNREFUSED', 'ConnectionError'],
    ['ECONNRESET', 'ConnectionError'],
    ['ENOTFOUND', 'ConnectionError'],
    ['EAI_AGAIN', 'ConnectionError'],
    ['EPIPE', 'ConnectionError'],
    ['ENOSPC', 'OutOfSpaceError'],
    ['CERT_HAS_EXPIRED', 'InvalidConfigurationError'],
  ])('classifies a %s system error as %s', (code, category) => {
    expect(classifyError(withCode(code)).category).toBe(category);
  });

  it('looks through fetch-style causes', () => {
    const error = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(classifyError(error).category).toBe('ConnectionError');
    expect(classifyError(new Error('socket hang up')).category).toBe('ConnectionError');
  });

  it('classifies timeouts, bad JSON and everything else', () => {
    expect(classifyError(Object.assign(new Error('t'), { name: 'TimeoutError' })).category).toBe('ModuleTimeoutError');
    expect(
      classifyError(
        (() => {
          try {
            return JSON.parse('{');
          } catch (e) {
            return e;
          }
        })(),
      ).category,
    ).toBe('DataError');
    expect(classifyError(new RangeError('oops')).category).toBe('UnexpectedError');
    expect(classifyError('a string').message).toBe('a string');
    expect(classifyError({ weird: true }).category).toBe('UnexpectedError');
  });

  it('returns a ModuleError as it is', () => {
    const error = new ModuleError('DataError', 'x');
    expect(classifyError(error)).toBe(error);
  });
});
