import { ConfigError, configVariables, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('gives sensible defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      IMEX_TASK_QUEUE: 'imex',
      TEMPORAL_NAMESPACE: 'default',
      IMEX_API_PORT: 3000,
      IMEX_TEMPORAL_PORT: 7233,
      IMEX_TEMPORAL_UI_PORT: 8233,
      IMEX_STORE_PORT: 27017,
      IMEX_MONGO_DB: 'imex',
      TEMPORAL_TLS: false,
    });
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.MONGO_URL).toBeUndefined();
    // Make's run-duration limit; the storage limit is the operator's.
    expect(config.IMEX_RUN_LIMIT).toBe(40 * 60_000);
    expect(config.IMEX_API_QUOTA_WRITES).toBe(false);
  });

  test('takes a run limit as a duration, and turns quota writes on', () => {
    const config = loadConfig({ IMEX_RUN_LIMIT: '5m', IMEX_API_QUOTA_WRITES: 'true' });
    expect(config.IMEX_RUN_LIMIT).toBe(5 * 60_000);
    expect(config.IMEX_API_QUOTA_WRITES).toBe(true);
    expect(() => loadConfig({ IMEX_RUN_LIMIT: 'forever' })).toThrow(ConfigError);
  });

  test('treats an empty variable as unset', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '', IMEX_API_PORT: '' }).IMEX_API_PORT).toBe(3000);
  });

  test('reads and converts given values', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', IMEX_API_PORT: '8080', TEMPORAL_TLS: 'true' });
    expect(config).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', IMEX_API_PORT: 8080, TEMPORAL_TLS: true });
  });

  test.each([
    ['IMEX_API_PORT', 'eighty'],
    ['IMEX_TEMPORAL_PORT', '70000'],
    ['TEMPORAL_ADDRESS', 'http://localhost:7233'],
    ['MONGO_URL', 'localhost:27017'],
    ['IMEX_LOG_LEVEL', 'chatty'],
    ['TEMPORAL_TLS', 'maybe'],
    ['IMEX_MONGO_DB', 'has space'],
    ['IMEX_CODEC_CORS_ORIGINS', 'http://ui.example/path'],
    ['IMEX_CODEC_CORS_ORIGINS', 'not-a-url'],
  ])('rejects a bad %s with the variable name and the reason', (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([variable]);
    expect((error as ConfigError).message).toContain(variable);
  });

  test('requires a TLS certificate and key together', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toThrow(/go together/);
  });

  test('takes encryption keys from one place only, and codec CORS origins as a list', () => {
    expect(() => loadConfig({ IMEX_ENCRYPTION_KEYS: 'a:b', IMEX_ENCRYPTION_KEY_FILE: '/k' })).toThrow(/not both/);
    expect(
      loadConfig({ IMEX_CODEC_CORS_ORIGINS: 'http://127.0.0.1:8233, https://temporal.example.com' })
        .IMEX_CODEC_CORS_ORIGINS,
    ).toEqual(['http://127.0.0.1:8233', 'https://temporal.example.com']);
    expect(loadConfig({ IMEX_CODEC_CORS_ORIGINS: '*' }).IMEX_CODEC_CORS_ORIGINS).toEqual(['*']);
    expect(loadConfig({}).IMEX_CODEC_CORS_ORIGINS).toBeUndefined();
  });

  test('runs everything by default; a worker alone must be given the servers it joins', () => {
    expect(loadConfig({}).IMEX_ROLE).toBe('all');
    expect(() => loadConfig({ IMEX_ROLE: 'worker', MONGO_URL: 'mongodb://db:27017' })).toThrow(
      /TEMPORAL_ADDRESS: IMEX_ROLE=worker joins servers that already run/,
    );
    expect(
      loadConfig({ IMEX_ROLE: 'worker', TEMPORAL_ADDRESS: 'temporal:7233', MONGO_URL: 'mongodb://db:27017' }).IMEX_ROLE,
    ).toBe('worker');
    expect(() => loadConfig({ IMEX_ROLE: 'api' })).toThrow(/IMEX_ROLE/);
  });

  test('lists every variable it reads', () => {
    expect(configVariables).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'MONGO_URL', 'IMEX_API_PORT']));
  });
});

describe('SMTP connections', () => {
  test('a bad connection stops the start naming the connection, never its password', () => {
    let error: unknown;
    try {
      loadConfig({ IMEX_SMTP_CONNECTIONS: 'billing=http://user:hunter2@mail.example' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /IMEX_SMTP_CONNECTIONS: connection "billing" must be an smtp:\/\/ or smtps:\/\/ URL/,
    );
    expect((error as Error).message).not.toContain('hunter2');
  });

  test('good connections load', () => {
    const config = loadConfig({
      IMEX_SMTP_URL: 'smtps://u:p@mail.example:465',
      IMEX_SMTP_CONNECTIONS: 'b=smtp://h:25',
    });
    expect(config.IMEX_SMTP_URL).toBe('smtps://u:p@mail.example:465');
  });
});
