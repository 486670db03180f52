import { systemClock } from "../shared/clock.js";
import type { Config } from "../shared/config.js";
import { createProcessLogger } from "../shared/logger.js";
import { guardProcess } from "./process-guard.js";
import { exitAfterClose, openRuntime, WORKER_POLL_MS } from "./runtime.js";
import { startProcess } from "./startup-failure.js";

/** `npm run worker`: the mail outbox and scheduled tasks in a process of their own. */
async function start(config: Config): Promise<void> {
  const logger = createProcessLogger(config.logLevel, config.production);
  guardProcess(logger);
  const runtime = await openRuntime(config, logger, systemClock);
  runtime.scheduler.start(WORKER_POLL_MS);
  logger.info({ mail: config.mail.transport, tasks: runtime.scheduler.tasks.map((t) => t.name) }, "worker started");

  // SIGTERM: finish the mail in hand, hand back what was claimed but not tried, then exit.
  const stop = (signal: string) => {
    logger.info({ signal }, "worker stopping");
    exitAfterClose(runtime, logger, Promise.resolve());
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

startProcess("Vouchdesk worker", start);
