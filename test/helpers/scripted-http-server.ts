/**
 * A real local HTTP server whose answers a test scripts per path, and which counts every request:
 * proof that modules before a failed one never run again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpSendDataModule } from './blueprints';

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  hang?: boolean;
  /** Answer after this many milliseconds (a slow service). */
  delayMs?: number;
  /** Answer only once the test calls `release()` (a slow service the test lets go when it has looked). */
  held?: boolean;
}

export interface RecordedRequest {
  path: string;
  method: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** When the request arrived and when it was answered (ms since the epoch): intervals to compare. */
  receivedAt: number;
  answeredAt?: number;
  status?: number;
}

export class ScriptedHttpServer {
  readonly requests: RecordedRequest[] = [];
  private readonly scripts = new Map<string, ScriptedResponse[]>();
  /** Answers of `held` responses, sent by `release()`. */
  private held: (() => void)[] | undefined = [];
  private server?: http.Server;
  private base = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const body = Buffer.concat(chunks).toString();
        const recorded: RecordedRequest = {
          path,
          method: req.method ?? 'GET',
          headers: req.headers,
          body,
          receivedAt: Date.now(),
        };
        this.requests.push(recorded);
        const queue = this.scripts.get(path);
        // The last scripted answer repeats; an unscripted path echoes what it got.
        const answer = queue && queue.length > 1 ? queue.shift() : queue?.[0];
        if (answer?.hang) return;
        const status = answer?.status ?? 200;
        const payload = answer ? (answer.body ?? { ok: status < 400 }) : { path, method: req.method, body };
        const reply = () => {
          recorded.answeredAt = Date.now();
          recorded.status = status;
          res
            .writeHead(status, { 'content-type': 'application/json', ...(answer?.headers ?? {}) })
            .end(typeof payload === 'string' ? payload : JSON.stringify(payload));
        };
        if (answer?.held && this.held) this.held.push(reply);
        else if (answer?.delayMs) setTimeout(reply, answer.delayMs);
        else reply();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Answers for `path`, in order; the last one repeats. */
  script(path: string, ...responses: ScriptedResponse[]): this {
    this.scripts.set(path, [...responses]);
    return this;
  }

  /** An `http:ActionSendData` v3 module that calls `path` here (POST, JSON, errors raised). */
  httpModule(id: number, path: string, mapper: Record<string, unknown> = {}, parameters: Record<string, unknown> = {}) {
    return httpSendDataModule(id, this.url(path), mapper, parameters);
  }

  /** Sends every held answer, and answers `held` responses at once from now on. */
  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const reply of waiting) reply();
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
