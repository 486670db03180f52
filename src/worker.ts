import { systemClock } from "./clock.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { openRuntime, WORKER_POLL_MS } from "./runtime.js";

/** `npm run worker`: the mail outbox and scheduled tasks in a process of their own. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const runtime = await openRuntime(config, logger, systemClock);
  runtime.scheduler.start(WORKER_POLL_MS);
  logger.info({ mail: config.mail.transport, tasks: runtime.scheduler.tasks.map((t) => t.name) }, "worker started");

  // SIGTERM: finish the mail in hand, hand back what was claimed but not tried, then exit.
  const stop = (signal: string) => {
    logger.info({ signal }, "worker stopping");
    setTimeout(() => process.exit(1), 30_000).unref();
    void runtime.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `Vouchdesk worker failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
