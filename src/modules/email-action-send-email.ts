/**
 * `email:ActionSendEmail` v7, Make's Email app "Send an email": to/cc/bcc, subject, HTML or text
 * content, attachments, through an SMTP connection the deployment configures (smtp-connections.ts).
 *
 * Sending once: the message's Message-ID is derived from the operation's idempotency key, so a
 * re-send (a retry after the server took the message but the answer was lost) is recognisable by
 * the receiving side; and a send the server accepted is recorded in the sent log under that key,
 * so a retry of the operation after that point (the activity's completion lost, a worker crash)
 * answers the recorded result instead of sending again.
 */
import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { ModuleError } from '../domain';
import { defineModule, type OutputBundle } from './contract';
import { DEFAULT_SMTP_CONNECTION, type SmtpConnection } from './smtp-connections';
import { classifySmtpError } from './smtp-errors';

/** What a sent message is remembered by: the operation's idempotency key. */
export interface EmailSentLog {
  find(idempotencyKey: string): Promise<OutputBundle | undefined>;
  /** Idempotent: recording the same key again keeps the first record. */
  record(idempotencyKey: string, output: OutputBundle): Promise<void>;
}

export interface EmailModuleOptions {
  /** The deployment's SMTP connections by name (`parseSmtpConnections`). */
  connections?: ReadonlyMap<string, SmtpConnection>;
  /** Without it, a retry after an accepted send sends again (with the same Message-ID). */
  sentLog?: EmailSentLog;
  /** Socket timeouts in ms (connect, greeting, idle); default 30 s, 30 s, 60 s. */
  timeouts?: { connectionMs?: number; greetingMs?: number; socketMs?: number };
}

const address = z.string().trim().min(1);
/** Make maps one address or a list; an empty cc/bcc item (an unmapped field) is dropped. */
const addressList = z
  .union([address, z.array(z.string().trim())])
  .transform((value) => (Array.isArray(value) ? value.filter((item) => item !== '') : [value]));

/**
 * An attachment's `data`: text, base64 or hex text (with `encoding`), or a Buffer as JSON
 * (`{ type: 'Buffer', data: [...] }`, what a binary value becomes in a bundle).
 */
const attachmentSchema = z.object({
  fileName: z.string().trim().min(1),
  data: z.union([z.string(), z.object({ type: z.literal('Buffer'), data: z.array(z.number().int().min(0).max(255)) })]),
  encoding: z.enum(['utf8', 'base64', 'hex']).optional(),
  cid: z.string().trim().min(1).optional(),
  contentType: z.string().trim().min(1).optional(),
});

export const emailMapperSchema = z.object({
  to: addressList.refine((list) => list.length > 0, 'at least one recipient is required'),
  cc: addressList.optional(),
  bcc: addressList.optional(),
  subject: z.string().default(''),
  contentType: z.enum(['html', 'text']).default('html'),
  /** The content, HTML or text as `contentType` says (Make's field name for both). */
  html: z.string().default(''),
  attachments: z.array(attachmentSchema).default([]),
  from: z.string().trim().min(1).optional(),
  sender: z.string().trim().min(1).optional(),
  replyTo: z.string().trim().min(1).optional(),
  inReplyTo: z.string().trim().min(1).optional(),
  references: z.union([z.string(), z.array(z.string())]).optional(),
  priority: z.enum(['high', 'normal', 'low']).optional(),
  headers: z.array(z.object({ key: z.string().trim().min(1), value: z.string() })).default([]),
});
export type EmailMapper = z.infer<typeof emailMapperSchema>;

export const emailParametersSchema = z.object({
  /** The connection's name (`IMEX_SMTP_CONNECTIONS`); absent: `IMEX_SMTP_URL`'s. Make's ids are numbers. */
  account: z.union([z.string().trim().min(1), z.number().int().nonnegative()]).optional(),
  /** Make saves to a mailbox's Sent folder over IMAP; imex has no IMAP and ignores it. */
  saveAfterSent: z.boolean().optional(),
});
export type EmailParameters = z.infer<typeof emailParametersSchema>;

/** Headers imex sets itself: a mapped one would break the re-send check or the envelope. */
const reservedHeaders = new Set(['message-id', 'from', 'to', 'cc', 'bcc', 'subject', 'content-type']);

/** `<key@imex>`: the same for every retry of the operation (its idempotency key). */
export function messageIdFor(idempotencyKey: string): string {
  return `<${idempotencyKey}@imex>`;
}

export function createEmailActionSendEmail(options: EmailModuleOptions = {}) {
  const connections = options.connections ?? new Map<string, SmtpConnection>();
  const timeouts = options.timeouts ?? {};
  return defineModule({
    type: 'email:ActionSendEmail',
    title: 'Email: send an email',
    versions: [7],
    parametersSchema: emailParametersSchema,
    mapperSchema: emailMapperSchema,
    classify: classifySmtpError,
    async run({ parameters, mapper, signal, idempotencyKey }) {
      const name = parameters.account === undefined ? DEFAULT_SMTP_CONNECTION : String(parameters.account);
      const connection = connections.get(name);
      if (!connection) {
        throw new ModuleError(
          'InvalidConfigurationError',
          `SMTP connection "${name}" is not configured on this worker (IMEX_SMTP_URL, IMEX_SMTP_CONNECTIONS)`,
        );
      }
      const from = mapper.from ?? connection.from;
      if (!from) throw new ModuleError('DataError', `mapper.from: no sender, and connection "${name}" has no from=`);

      const sent = await options.sentLog?.find(idempotencyKey);
      if (sent) return [sent];

      const transport = createTransport({
        url: connection.url,
        connectionTimeout: timeouts.connectionMs ?? 30_000,
        greetingTimeout: timeouts.greetingMs ?? 30_000,
        socketTimeout: timeouts.socketMs ?? 60_000,
        // Mapped data must not make the worker read its own files or fetch URLs for attachments.
        disableFileAccess: true,
        disableUrlAccess: true,
        logger: false,
      });
      const onAbort = () => transport.close();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const info = await transport.sendMail({
          messageId: messageIdFor(idempotencyKey),
          from,
          to: mapper.to,
          ...(mapper.cc?.length ? { cc: mapper.cc } : {}),
          ...(mapper.bcc?.length ? { bcc: mapper.bcc } : {}),
          subject: mapper.subject,
          ...(mapper.contentType === 'html' ? { html: mapper.html } : { text: mapper.html }),
          attachments: mapper.attachments.map((attachment) => ({
            filename: attachment.fileName,
            content: attachmentContent(attachment),
            ...(attachment.cid ? { cid: attachment.cid } : {}),
            ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
          })),
          ...(mapper.sender ? { sender: mapper.sender } : {}),
          ...(mapper.replyTo ? { replyTo: mapper.replyTo } : {}),
          ...(mapper.inReplyTo ? { inReplyTo: mapper.inReplyTo } : {}),
          ...(mapper.references ? { references: mapper.references } : {}),
          ...(mapper.priority ? { priority: mapper.priority } : {}),
          headers: mapper.headers
            .filter((header) => !reservedHeaders.has(header.key.toLowerCase()))
            .map((header) => ({ key: header.key, value: header.value })),
        });
        const output: OutputBundle = {
          messageId: info.messageId,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
        };
        await options.sentLog?.record(idempotencyKey, output);
        return [output];
      } finally {
        signal.removeEventListener('abort', onAbort);
        transport.close();
      }
    },
  });
}

function attachmentContent(attachment: z.infer<typeof attachmentSchema>): Buffer {
  if (typeof attachment.data !== 'string') return Buffer.from(attachment.data.data);
  return Buffer.from(attachment.data, attachment.encoding ?? 'utf8');
}
