/**
 * `email:ActionSendEmail` against a real local SMTP server, through the real worker, Temporal and
 * FerretDB: a message with cc, bcc and an attachment arrives once; a message the server took
 * without answering is sent again with the same Message-ID (recognisable), and a retry after an
 * accepted send sends nothing; an SMTP outage parks an IE with auto-retry that resolves once the
 * server is back; refusals land in Make's categories; the connection's password is in no IE
 * document, execution log or Temporal history.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { SmtpTestServer } from '../helpers/smtp-test-server';
import { waitForIeDocument } from '../helpers/ie-waits';
import { historyBytes } from '../helpers/history-payloads';
import { webhookTrigger } from '../helpers/blueprints';
import { freePort } from '../../src/stack/free-port';
import { idempotencyKeyFor, invokeModule, messageIdFor, parseSmtpConnections } from '../../src/modules';
import { ModuleError, runWorkflowId } from '../../src/domain';

let env: TestEnv;
let imex: ImexHarness;
let smtp: SmtpTestServer;
/** The outage's server: its port is configured, nothing listens until the test starts it. */
let outage: SmtpTestServer;
let outagePort: number;
const SENDER = 'shop@example.test';

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await new SmtpTestServer().start();
  outagePort = await freePort();
  outage = new SmtpTestServer();
  const connections = parseSmtpConnections(
    smtp.url({ from: SENDER }),
    [
      `wrong-password=${smtp.url({ pass: 'not-the-password', from: SENDER })}`,
      `outage=smtp://${outage.user}:${outage.pass}@127.0.0.1:${outagePort}?from=${SENDER}`,
    ].join(','),
  );
  imex = await startImexHarness(env, {
    schedule: [500, 500, 500, 500, 500, 500, 500, 500],
    modules: { email: { connections, timeouts: { connectionMs: 2_000, greetingMs: 2_000, socketMs: 5_000 } } },
  });
});

afterAll(async () => {
  await imex?.stop();
  await smtp?.stop();
  await outage?.stop();
  await env?.close();
});

function emailModule(mapper: Record<string, unknown>, parameters: Record<string, unknown> = {}) {
  return { id: 2, module: 'email:ActionSendEmail', version: 7, parameters, mapper };
}

async function run(flow: unknown[], data: unknown) {
  const scenarioId = await imex.createScenario({ name: 'email', flow, metadata: { scenario: { dlq: true } } });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data });
  return { executionId, result: await imex.imex.scenarioRunResult(executionId) };
}

const withMessageId = (id: string) => smtp.received.filter((mail) => mail.messageId === id);

/** Everything stored or recorded about a run, as raw text: its history, IE, execution log. */
async function everythingAbout(executionId: string, ieId?: string): Promise<string> {
  const history = await env.client.workflow.getHandle(runWorkflowId(executionId)).fetchHistory();
  const texts = [historyBytes(history).toString('latin1')];
  texts.push(JSON.stringify(await imex.store.executions.collection.find({ _id: executionId }).toArray()));
  if (ieId) {
    texts.push(JSON.stringify(await imex.store.incompleteExecutions.collection.find({ _id: ieId }).toArray()));
    const ieHistory = await env.client.workflow.getHandle(`ie-${ieId}`).fetchHistory();
    texts.push(historyBytes(ieHistory).toString('latin1'));
  }
  return texts.join('\n');
}

test('a mapped message with cc, bcc and an attachment arrives once, with the operation as its Message-ID', async () => {
  const { executionId, result } = await run(
    [
      webhookTrigger,
      emailModule({
        to: ['{{1.customer}}'],
        cc: ['sales@example.test', ''],
        bcc: ['audit@example.test'],
        subject: 'Order {{1.order}}',
        contentType: 'html',
        html: '<p>Thanks for order <b>{{1.order}}</b></p>',
        attachments: [{ fileName: 'order.csv', data: '{{1.csv}}', encoding: 'base64' }],
        headers: [
          { key: 'X-Order', value: '{{1.order}}' },
          { key: 'Message-ID', value: '<forged@example.test>' },
        ],
      }),
    ],
    { customer: 'ada@example.test', order: 'A-17', csv: Buffer.from('sku,qty\nx,2\n').toString('base64') },
  );
  expect(result.status).toBe('success');
  const messageId = messageIdFor(idempotencyKeyFor(executionId, 2, 0));
  const mails = withMessageId(messageId);
  expect(mails).toHaveLength(1);
  const [mail] = mails;
  expect(mail?.from).toBe(SENDER);
  expect(mail?.recipients.sort()).toEqual(['ada@example.test', 'audit@example.test', 'sales@example.test']);
  expect(mail?.raw).toMatch(/^Subject: Order A-17/m);
  expect(mail?.raw).toMatch(/^X-Order: A-17/m);
  expect(mail?.raw).not.toMatch(/forged@example\.test/); // imex's Message-ID stands
  expect(mail?.raw).not.toMatch(/^Bcc:/im); // bcc is in the envelope only
  expect(mail?.raw).toContain('filename=order.csv');
  expect(mail?.raw).toContain(Buffer.from('sku,qty\nx,2\n').toString('base64').slice(0, 12));
  // The sent log holds the module's output for a retry of this operation.
  expect(await imex.store.emailSends.find(idempotencyKeyFor(executionId, 2, 0))).toEqual({
    messageId,
    accepted: ['ada@example.test', 'sales@example.test', 'audit@example.test'],
    rejected: [],
  });
});

test('a message the server took without answering is sent again with the same Message-ID: the mailbox keeps one', async () => {
  smtp.fault({ kind: 'drop-after-data' });
  const { executionId, result } = await run(
    [webhookTrigger, emailModule({ to: 'bob@example.test', subject: 'once', contentType: 'text', html: 'hi' })],
    {},
  );
  expect(result.status).toBe('success');
  const messageId = messageIdFor(idempotencyKeyFor(executionId, 2, 0));
  // The server got it twice (the first answer was lost, the in-run retry sent it again) …
  expect(withMessageId(messageId)).toHaveLength(2);
  // … under one Message-ID, so the mailbox (which dedupes by it, as mail stores do) holds it once.
  expect(smtp.mailbox().filter((mail) => mail.messageId === messageId)).toHaveLength(1);
});

test('a retry of an operation whose send was accepted answers the sent log and sends nothing', async () => {
  const definition = imex.registry.get('email:ActionSendEmail');
  if (!definition) throw new Error('email module not registered');
  const execution = { executionId: 'f'.repeat(32), moduleId: 4, bundleIndex: 0, attempt: 1 };
  const invocation = {
    parameters: {},
    mapper: { to: ['carol@example.test'], subject: 'retry', html: 'x' },
    execution,
  };
  const first = await invokeModule(definition, invocation);
  // The activity's completion was lost (a worker crash after the send): Temporal runs it again.
  const second = await invokeModule(definition, { ...invocation, execution: { ...execution, attempt: 2 } });
  expect(second).toEqual(first);
  const messageId = messageIdFor(idempotencyKeyFor(execution.executionId, 4, 0));
  expect(withMessageId(messageId)).toHaveLength(1);
});

test('an SMTP outage parks an IE with auto-retry; once the server is back the retry sends it exactly once', async () => {
  const { executionId, result } = await run(
    [webhookTrigger, emailModule({ to: 'dan@example.test', subject: 'outage', html: 'x' }, { account: 'outage' })],
    {},
  );
  expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 2 }] });
  const ieId = result.parked[0]?.ieId as string;
  const parked = await waitForIeDocument(
    imex.store,
    ieId,
    'the IE to park',
    (d) => d.error?.type === 'ConnectionError',
  );
  expect(parked).toMatchObject({ retry: true, error: { type: 'ConnectionError' } });

  await outage.start(outagePort);
  const resolved = await waitForIeDocument(imex.store, ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved.status).toBe('resolved');
  // The attempt reuses the original run's idempotency key, hence its Message-ID.
  const messageId = messageIdFor(idempotencyKeyFor(executionId, 2, 0));
  expect(outage.received.filter((mail) => mail.messageId === messageId)).toHaveLength(1);
  expect(await everythingAbout(executionId, ieId)).not.toContain(outage.pass);
});

test('refused credentials are InvalidAccessTokenError; the password is nowhere in the IE, the log or the histories', async () => {
  const { executionId, result } = await run(
    [webhookTrigger, emailModule({ to: 'eve@example.test', subject: 's', html: 'x' }, { account: 'wrong-password' })],
    {},
  );
  const ieId = result.parked[0]?.ieId as string;
  const ie = await waitForIeDocument(imex.store, ieId, 'the IE to wait', (d) => d.status === 'unresolved');
  expect(ie).toMatchObject({ retry: false, error: { type: 'InvalidAccessTokenError' } });
  expect(ie.error?.message).toMatch(/535/);
  const everything = await everythingAbout(executionId, ieId);
  expect(everything).not.toContain('not-the-password');
  expect(everything).not.toContain(smtp.pass);
});

test('a recipient refused for good (550) is a DataError; an unknown connection an InvalidConfigurationError', async () => {
  smtp.fault({ kind: 'reject-recipients', code: 550 });
  const refused = await run([webhookTrigger, emailModule({ to: 'nobody@example.test', html: 'x' })], {});
  const refusedIe = await waitForIeDocument(imex.store, refused.result.parked[0]?.ieId as string, 'the IE', () => true);
  expect(refusedIe).toMatchObject({ retry: false, error: { type: 'DataError' } });
  expect(refusedIe.error?.message).toMatch(/550/);

  const unknown = await run(
    [webhookTrigger, emailModule({ to: 'x@example.test', html: 'x' }, { account: 'nowhere' })],
    {},
  );
  const unknownIe = await waitForIeDocument(imex.store, unknown.result.parked[0]?.ieId as string, 'the IE', () => true);
  expect(unknownIe.error).toMatchObject({ type: 'InvalidConfigurationError' });
  expect(unknownIe.error?.message).toContain('SMTP connection "nowhere" is not configured');
});

test('mapped data that is no message is a DataError naming the field', async () => {
  const definition = imex.registry.get('email:ActionSendEmail');
  if (!definition) throw new Error('email module not registered');
  const attempt = invokeModule(definition, {
    parameters: {},
    mapper: { to: [], html: 'x' },
    execution: { executionId: 'e'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 },
  });
  await expect(attempt).rejects.toThrow(ModuleError);
  await expect(attempt).rejects.toThrow(/mapper\.to: at least one recipient is required/);
});
