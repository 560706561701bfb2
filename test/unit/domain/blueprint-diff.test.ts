import { blueprintSchema, diffBlueprints } from '../../../src/domain';

const stored = blueprintSchema.parse({
  flow: [
    { id: 1, module: 'gateway:CustomWebHook' },
    { id: 2, module: 'http:ActionSendData', version: 3, mapper: { url: 'http://a', method: 'post', data: '{{1.n}}' } },
    { id: 3, module: 'util:SetVariable2', mapper: { name: 'x', value: '1' } },
  ],
  metadata: { scenario: { dlq: true } },
});

describe('diffBlueprints', () => {
  test('the same blueprint: no difference', () => {
    expect(diffBlueprints(stored, stored)).toEqual({ same: true, added: [], removed: [], changed: [], settings: [] });
  });

  test('module by module: added, removed, and the changed fields with both values', () => {
    const current = blueprintSchema.parse({
      flow: [
        { id: 1, module: 'gateway:CustomWebHook' },
        { id: 2, module: 'http:ActionSendData', version: 3, mapper: { url: 'http://b', method: 'post' } },
        {
          id: 4,
          module: 'builtin:BasicRouter',
          routes: [{ flow: [{ id: 5, module: 'json:ParseJSON', mapper: { json: '{{2.data}}' } }] }],
        },
      ],
      metadata: { scenario: { dlq: true, maxErrors: 5 } },
    });
    const diff = diffBlueprints(stored, current);
    expect(diff.same).toBe(false);
    expect(diff.added).toEqual([
      { moduleId: 4, module: 'builtin:BasicRouter' },
      { moduleId: 5, module: 'json:ParseJSON' },
    ]);
    expect(diff.removed).toEqual([{ moduleId: 3, module: 'util:SetVariable2' }]);
    expect(diff.changed).toEqual([
      {
        moduleId: 2,
        module: 'http:ActionSendData',
        fields: [
          { path: 'mapper.data', before: '{{1.n}}' },
          { path: 'mapper.url', before: 'http://a', after: 'http://b' },
        ],
      },
    ]);
    expect(diff.settings).toEqual([{ path: 'maxErrors', before: 3, after: 5 }]);
  });
});
