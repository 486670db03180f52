import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "../../shared/clock.js";

/**
 * What the gauges read at each scrape, one grouped query each: the composition root (src/main/)
 * wires them to the stores, which platform/ may not import.
 */
export interface MetricReaders {
  outboxByStatus(): Promise<Record<string, number>>;
  oldestWaitingMailAt(): Promise<Date | null>;
  taskSuccesses(): Promise<{ name: string; lastSucceededAt: Date | null }[]>;
  resetRequestsByState(): Promise<Record<string, number>>;
}

export type RequestLabels = "method" | "route" | "status";

/** The desk's series, in a registry of their own (several apps share a test process). */
export interface DeskMetrics {
  registry: Registry;
  /** Seconds per request by route pattern (never the raw URL: ids and tokens are no labels), method and status. */
  requestDuration: Histogram<RequestLabels>;
  /** Told by identity of each refused guess once it is recorded; `lockedIt` when that guess locked the login. */
  countRefusedGuess(lockedIt: boolean): void;
}

const seconds = (ms: number) => ms / 1000;

export function createDeskMetrics(readers: MetricReaders, clock: Clock, options: { processMetrics?: boolean } = {}): DeskMetrics {
  const registry = new Registry();
  // Node's own series (CPU, memory, event loop): for a real process only, as each call starts monitors that never stop.
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requestDuration = new Histogram<RequestLabels>({
    name: "vouchdesk_http_request_duration_seconds",
    help: "Time to answer a request, by route pattern (unmatched: no route answered it, such as a 404 or a refusal before the route), method and status code. Static files and probes are not counted.",
    labelNames: ["method", "route", "status"],
    registers,
  });
  const failures = new Counter({
    name: "vouchdesk_sign_in_failures_total",
    help: "Refused guesses counted toward the lockout: wrong passwords, second-step codes and passkeys, unknown usernames, and guesses at a locked login.",
    registers,
  });
  const lockouts = new Counter({ name: "vouchdesk_sign_in_lockouts_total", help: "Logins locked because their attempts were spent.", registers });

  new Gauge({
    name: "vouchdesk_outbox_messages",
    help: "Mail in the outbox by status (read from the database at scrape).",
    labelNames: ["status"],
    registers,
    async collect() {
      for (const [status, count] of Object.entries(await readers.outboxByStatus())) this.set({ status }, count);
    },
  });
  new Gauge({
    name: "vouchdesk_outbox_oldest_queued_age_seconds",
    help: "Age of the oldest mail still to be sent (queued, or failed and waiting for its retry); 0 when there is none.",
    registers,
    async collect() {
      const oldest = await readers.oldestWaitingMailAt();
      this.set(oldest ? Math.max(0, seconds(clock.now().getTime() - oldest.getTime())) : 0);
    },
  });
  new Gauge({
    name: "vouchdesk_task_last_success_timestamp_seconds",
    help: "When each scheduled task last succeeded, in Unix seconds; 0 when it never has.",
    labelNames: ["task"],
    registers,
    async collect() {
      for (const t of await readers.taskSuccesses()) this.set({ task: t.name }, t.lastSucceededAt ? seconds(t.lastSucceededAt.getTime()) : 0);
    },
  });
  new Gauge({
    name: "vouchdesk_reset_requests",
    help: "Primary password reset requests by state (read from the database at scrape).",
    labelNames: ["state"],
    registers,
    async collect() {
      for (const [state, count] of Object.entries(await readers.resetRequestsByState())) this.set({ state }, count);
    },
  });

  return {
    registry,
    requestDuration,
    countRefusedGuess(lockedIt) {
      failures.inc();
      if (lockedIt) lockouts.inc();
    },
  };
}
