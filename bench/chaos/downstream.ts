/**
 * The downstream service the chaos scenarios call: a real local HTTP server that is down (503,
 * a ConnectionError: parked with auto-retry) until told to recover, refuses some bundles for good
 * (400, a DataError: parked for a person), answers after a random delay (so workers die mid-call),
 * and records every request with its Idempotency-Key and the bundle it carries (`run`, `item`).
 *
 * Once recovered it applies each effect once per Idempotency-Key, as a service that deduplicates
 * would; it also counts how often one bundle was applied under different keys (a duplicate side
 * effect imex must never cause).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DownstreamRequest {
  at: number;
  identity: string;
  key: string;
  status: number;
}

export class Downstream {
  readonly requests: DownstreamRequest[] = [];
  /** identity → the Idempotency-Keys whose request was applied. */
  readonly applied = new Map<string, Set<string>>();
  /** Successful requests whose key had been applied before (deduplicated by the service). */
  redeliveries = 0;
  recoveredAt: number | undefined;
  private server?: http.Server;
  private base = '';

  constructor(
    private readonly permanent: ReadonlySet<string>,
    private readonly random: () => number,
    private readonly maxDelayMs = 800,
  ) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const delay = Math.floor(this.random() * this.maxDelayMs);
        setTimeout(() => this.answer(req, Buffer.concat(chunks).toString(), res), delay);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  recover(): void {
    this.recoveredAt ??= Date.now();
  }

  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    let identity = '?';
    try {
      const parsed = JSON.parse(body) as { run?: unknown; item?: unknown };
      identity = `${String(parsed.run)}:${String(parsed.item)}`;
    } catch {
      // recorded as '?': an invariant names it
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const status = this.permanent.has(identity) ? 400 : this.recoveredAt === undefined ? 503 : 200;
    this.requests.push({ at: Date.now(), identity, key, status });
    if (status === 200) {
      const keys = this.applied.get(identity) ?? new Set<string>();
      if (keys.has(key)) this.redeliveries++;
      keys.add(key);
      this.applied.set(identity, keys);
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status === 200 }));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
