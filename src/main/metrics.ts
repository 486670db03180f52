import type { Server } from "node:http";
import { countRequestsByState } from "../resets/index.js";
import type { Clock } from "../shared/clock.js";
import { ConfigError } from "../shared/config.js";
import type { Db } from "../shared/db.js";
import { countByStatus, oldestWaitingMailAt } from "../platform/mail/outbox-store.js";
import { createDeskMetrics, type DeskMetrics } from "../platform/metrics/desk-metrics.js";
import type { Scheduler } from "../platform/tasks/scheduler.js";
import { metricsOnlyApp } from "../web/metrics-routes.js";

/** The desk's metrics, their gauges reading `reader` (the read connections) at each scrape. */
export function deskMetrics(deps: { reader: Db; clock: Clock; scheduler: Scheduler }, options: { processMetrics?: boolean } = {}): DeskMetrics {
  const { reader, scheduler } = deps;
  return createDeskMetrics(
    {
      outboxByStatus: () => countByStatus(reader),
      oldestWaitingMailAt: () => oldestWaitingMailAt(reader),
      taskSuccesses: () => scheduler.states(),
      resetRequestsByState: () => countRequestsByState(reader),
    },
    deps.clock,
    options,
  );
}

/** The listener of METRICS_PORT, on loopback only: a scraper on the same host reads /metrics there without a token. */
export function listenForMetrics(metrics: DeskMetrics, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = metricsOnlyApp(metrics).listen(port, "127.0.0.1", (err?: Error) => {
      if (!err) return resolve(server);
      const code = (err as { code?: unknown }).code;
      reject(new ConfigError(`Cannot start: METRICS_PORT ${port} on 127.0.0.1 ${code === "EADDRINUSE" ? "is already in use; stop what listens there or set METRICS_PORT to a free port" : `failed: ${err.message}`}.`));
    });
  });
}
