/**
 * Delivering queued webhook payloads after they were accepted, without per-payload work: per
 * scenario at most one delivery is in flight; payloads accepted meanwhile are covered by one more
 * delivery after it (a delivery reads the whole queue, not one payload). A burst of 500 payloads
 * costs a handful of deliveries, and the webhook's answer never waits for Temporal. A delivery
 * starts the payloads' runs directly (a scenario that is not sequential) or signals the scenario's
 * coordinator (a sequential one): src/temporal/webhook-dispatch.ts. (The name is from when every
 * delivery woke a coordinator.)
 *
 * A delivery that fails (Temporal unreachable) is tried again with backoff for a while; past that,
 * or if this process ends first, maintenance delivers every queue that holds payloads older than
 * its `minAgeMs` (activities/maintenance.ts), and so does the next accepted payload.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoordinatorAddress } from './coordinator';

/** Backoff between tries of a failed wake, and how long this process keeps trying. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 15_000;
const GIVE_UP_AFTER_MS = 10 * 60_000;

/**
 * A scenario to deliver; `sequential` when the caller has just read it as an active sequential
 * scenario, whose coordinator reads the queue itself: then the wake is the signal alone.
 */
export type WakeAddress = CoordinatorAddress & { sequential?: boolean };

interface WakeState {
  address: WakeAddress;
  seq: number;
  /** Payloads were queued after the signal in flight was sent. */
  again: boolean;
}

export class CoordinatorWake {
  private readonly inFlight = new Map<number, WakeState>();
  /** Wakes that failed for good in this process (maintenance will wake them). */
  failed = 0;
  private stopped = false;

  constructor(
    private readonly signal: (address: WakeAddress, seq: number) => Promise<void>,
    private readonly onError: (err: unknown, address: CoordinatorAddress) => void = () => undefined,
  ) {}

  /** Asks for the coordinator to be woken; returns at once. */
  wake(address: WakeAddress, seq = 0): void {
    const state = this.inFlight.get(address.scenarioId);
    if (state) {
      state.again = true;
      state.address = address; // the latest read of the scenario decides the next round
      state.seq = Math.max(state.seq, seq);
      return;
    }
    const fresh: WakeState = { address, seq, again: false };
    this.inFlight.set(address.scenarioId, fresh);
    void this.run(fresh);
  }

  /** Stops trying failed wakes again (shutdown); maintenance wakes those queues later. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once no wake is in flight (tests, shutdown), or after `timeoutMs`. */
  async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < until) await sleep(10);
  }

  private async run(state: WakeState): Promise<void> {
    try {
      do {
        state.again = false;
        await this.sendWithRetry(state);
      } while (state.again);
    } finally {
      this.inFlight.delete(state.address.scenarioId);
    }
  }

  private async sendWithRetry(state: WakeState): Promise<void> {
    const started = Date.now();
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
      try {
        await this.signal(state.address, state.seq);
        return;
      } catch (err) {
        this.onError(err, state.address);
        if (this.stopped || Date.now() - started > GIVE_UP_AFTER_MS) {
          this.failed++;
          return;
        }
        // Unref'd: a process that is ending does not wait for it (maintenance wakes it later).
        await sleep(delay, undefined, { ref: false });
      }
    }
  }
}
