/**
 * The codec server (`POST /codec/decode`, `/codec/encode`) as the Temporal Web UI and CLI use it:
 * Temporal's remote codec protocol, token scopes, CORS for the UI's origin; and the real `temporal`
 * CLI (`workflow show --codec-endpoint`) showing a parked run's data to an allowed token only.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { cachedGoBinary } from '../../src/stack/go-build';
import { findOnPath, imexPaths } from '../../src/stack/paths';
import { temporalCliBuild } from '../../src/stack/temporal-dev-server';
import { EncryptionCodec } from '../../src/temporal/encryption-codec';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startApi, type RunningApi } from './support/api';
import { parkRunWithEmail } from './support/parked-run';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const MARKER = 'codec-e2e-8c41d2-carol@example.com';
const keyring = new Keyring([{ id: 'e2e', key: crypto.randomBytes(32) }]);

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let codecUrl: string;
const tokens = { reader: '', writer: '', both: '', dlqs: '' };

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { keyring, schedule: [3_600] });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex, {
    codecServer: { codec: new EncryptionCodec(keyring), corsOrigins: [UI_ORIGIN] },
  });
  codecUrl = api.url.replace(/\/api\/v2$/, '/codec');
  const create = async (scopes: Parameters<ImexHarness['store']['apiTokens']['create']>[0]['scopes']) =>
    (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes })).token;
  tokens.reader = await create(['payloads:read']);
  tokens.writer = await create(['payloads:write']);
  tokens.both = await create(['payloads:read', 'payloads:write']);
  tokens.dlqs = await create(['dlqs:read', 'dlqs:write', 'scenarios:read', 'scenarios:write']);
});
afterAll(async () => {
  await api?.close();
  await http?.stop();
  await harness?.stop();
  await env?.close();
});

async function post(operation: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${codecUrl}/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const jsonPayload = (value: unknown) => ({
  metadata: { encoding: b64('json/plain') },
  data: b64(JSON.stringify(value)),
});

describe('the remote codec protocol', () => {
  test('encode then decode round-trips payloads in protobuf JSON', async () => {
    const payloads = [jsonPayload({ email: MARKER }), { metadata: { encoding: b64('binary/null') } }];
    const encoded = await post('encode', { payloads }, { authorization: `Token ${tokens.both}` });
    expect(encoded.status).toBe(200);
    expect(encoded.body.payloads).toHaveLength(2);
    for (const p of encoded.body.payloads) {
      expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(p.metadata['encryption-key-id'], 'base64').toString()).toBe('e2e');
      expect(Buffer.from(p.data, 'base64').includes(MARKER)).toBe(false);
    }
    const decoded = await post('decode', encoded.body, {
      authorization: `Token ${tokens.reader}`,
      'x-namespace': env.namespace,
    });
    expect(decoded.status).toBe(200);
    expect(decoded.body).toEqual({ payloads: [payloads[0], { ...payloads[1], data: '' }] });
  });

  test('plain payloads decode unchanged', async () => {
    const payloads = [jsonPayload('not encrypted')];
    const decoded = await post('decode', { payloads }, { authorization: `Token ${tokens.reader}` });
    expect(decoded).toMatchObject({ status: 200, body: { payloads } });
  });

  test('needs a token with the scope: 401 without, 403 with another scope', async () => {
    const body = { payloads: [jsonPayload(1)] };
    expect(await post('decode', body)).toMatchObject({ status: 401, body: { code: 'IM_UNAUTHORIZED' } });
    expect(await post('decode', body, { authorization: 'Token imex_wrong' })).toMatchObject({ status: 401 });
    expect(await post('decode', body, { authorization: `Token ${tokens.dlqs}` })).toMatchObject({
      status: 403,
      body: { message: 'this token lacks the scope "payloads:read"' },
    });
    expect(await post('decode', body, { authorization: `Token ${tokens.writer}` })).toMatchObject({ status: 403 });
    expect(await post('encode', body, { authorization: `Token ${tokens.reader}` })).toMatchObject({
      status: 403,
      body: { message: 'this token lacks the scope "payloads:write"' },
    });
  });

  test("the token may be the endpoint's last segment, for the Temporal Web UI (same scopes)", async () => {
    const body = { payloads: [jsonPayload({ email: MARKER })] };
    const encoded = await post('encode', body, { authorization: `Token ${tokens.both}` });
    const inPath = (token: string, operation: string, payload: unknown) =>
      fetch(`${codecUrl}/${token}/${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: UI_ORIGIN },
        body: JSON.stringify(payload),
      });
    const decoded = await inPath(tokens.reader, 'decode', encoded.body);
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(await decoded.json()).toEqual(body);
    expect((await inPath('imex_wrong', 'decode', encoded.body)).status).toBe(401);
    expect((await inPath(tokens.dlqs, 'decode', encoded.body)).status).toBe(403);
    expect((await inPath(tokens.reader, 'encode', body)).status).toBe(403);
    const preflight = await fetch(`${codecUrl}/${tokens.reader}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });

  test('a payload that cannot be decrypted answers 400 naming it and its key id', async () => {
    const other = new EncryptionCodec(new Keyring([{ id: 'elsewhere', key: crypto.randomBytes(32) }]));
    const [foreign] = await other.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
    ]);
    const asJson = {
      metadata: Object.fromEntries(
        Object.entries(foreign?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(foreign?.data ?? []).toString('base64'),
    };
    const answer = await post(
      'decode',
      { payloads: [jsonPayload(1), asJson] },
      { authorization: `Token ${tokens.reader}` },
    );
    expect(answer).toMatchObject({
      status: 400,
      body: {
        code: 'IM_VALIDATION',
        detail: [{ path: 'payloads[1]', message: expect.stringContaining('key "elsewhere"') }],
      },
    });
  });

  test('a malformed body answers 400 naming the field', async () => {
    const answer = await post(
      'decode',
      { payloads: [{ data: 'not base64!' }] },
      { authorization: `Token ${tokens.reader}` },
    );
    expect(answer).toMatchObject({ status: 400, body: { code: 'IM_VALIDATION' } });
    expect(JSON.stringify(answer.body.detail)).toContain('payloads');
  });
});

describe('CORS for the Temporal Web UI', () => {
  test("a preflight from the UI's origin allows POST with X-Namespace and Authorization", async () => {
    const response = await fetch(`${codecUrl}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual(
      expect.arrayContaining(['x-namespace', 'content-type', 'authorization']),
    );
  });

  test('answers, errors included, carry the CORS headers for the UI only', async () => {
    const body = { payloads: [jsonPayload(1)] };
    const ok = await post('decode', body, { origin: UI_ORIGIN, authorization: `Token ${tokens.reader}` });
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const denied = await post('decode', body, { origin: UI_ORIGIN });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);

    const elsewhere = await fetch(`${codecUrl}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    const fromElsewhere = await post('decode', body, {
      origin: 'http://evil.example',
      authorization: `Token ${tokens.reader}`,
    });
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the temporal CLI with --codec-endpoint', () => {
  const binary =
    findOnPath('temporal') ?? cachedGoBinary(temporalCliBuild, { binDir: imexPaths(loadConfig().IMEX_HOME).bin });

  async function show(workflowId: string, extra: string[]) {
    try {
      const { stdout } = await promisify(execFile)(binary as string, [
        'workflow',
        'show',
        '--address',
        env.temporalAddress,
        '--namespace',
        env.namespace,
        '--workflow-id',
        workflowId,
        '--output',
        'json',
        ...extra,
      ]);
      return { code: 0, output: stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  }

  /** The CLI's JSON prints payloads as protobuf JSON: their data and encodings, read back from base64. */
  function payloadTexts(output: string): { data: string; encodings: string[] } {
    const data: string[] = [];
    const encodings: string[] = [];
    const walk = (value: unknown): void => {
      if (value === null || typeof value !== 'object') return;
      const candidate = value as { metadata?: { encoding?: string }; data?: string };
      if (typeof candidate.metadata?.encoding === 'string') {
        encodings.push(Buffer.from(candidate.metadata.encoding, 'base64').toString());
        data.push(Buffer.from(candidate.data ?? '', 'base64').toString());
        return;
      }
      Object.values(value).forEach(walk);
    };
    try {
      walk(JSON.parse(output));
    } catch {
      // not JSON: an error message
    }
    return { data: data.join('\n'), encodings };
  }

  test('shows decrypted data with a token that may read payloads, ciphertext or a refusal otherwise', async () => {
    expect(binary).toBeDefined();
    const workflowId = await parkRunWithEmail(harness, http, '/cli', MARKER);

    const allowed = await show(workflowId, ['--codec-endpoint', codecUrl, '--codec-auth', `Token ${tokens.reader}`]);
    expect(allowed.code).toBe(0);
    const decrypted = payloadTexts(allowed.output);
    expect(decrypted.data).toContain(MARKER);
    expect(decrypted.encodings).not.toContain('binary/encrypted');

    const plain = await show(workflowId, []);
    expect(plain.code).toBe(0);
    const ciphertext = payloadTexts(plain.output);
    expect(ciphertext.encodings).toContain('binary/encrypted');
    expect(ciphertext.data).not.toContain(MARKER);
    expect(plain.output).not.toContain(MARKER);

    for (const refused of [
      await show(workflowId, ['--codec-endpoint', codecUrl]),
      await show(workflowId, ['--codec-endpoint', codecUrl, '--codec-auth', `Token ${tokens.dlqs}`]),
    ]) {
      expect(refused.output).not.toContain(MARKER);
      expect(payloadTexts(refused.output).data).not.toContain(MARKER);
    }
  });
});
