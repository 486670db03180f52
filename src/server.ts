import { loadDemoData, type DemoCredential } from "./accounts/demo-data.js";
import { createApp } from "./app.js";
import { systemClock } from "./clock.js";
import { ConfigError, loadConfig, resolveSessionSecret } from "./config.js";
import { createLogger } from "./logger.js";
import { openRuntime, WORKER_POLL_MS } from "./runtime.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const sessionSecret = resolveSessionSecret(config);
  const logger = createLogger(config.logLevel);
  const runtime = await openRuntime(config, logger, systemClock);
  const { db, reader, mailer, scheduler } = runtime;

  // Demo records only outside production: a production desk starts empty (npm run cli -- create-admin).
  if (!config.production) {
    const demo = await loadDemoData(db, systemClock, process.env.DEMO_PASSWORD || undefined);
    if (demo) {
      logger.info({ logins: demo.map((d) => d.username) }, "demo data loaded");
      if (!process.env.DEMO_PASSWORD) printOnce(demo);
    }
  }

  const app = createApp({ config, db, reader, logger, clock: systemClock, sessionSecret, mailer, scheduler });
  const server = app.listen(config.port, () => logger.info({ url: config.baseUrl, port: config.port, mail: config.mail.transport, worker: config.worker }, "Vouchdesk is listening"));
  if (config.worker === "inline") scheduler.start(WORKER_POLL_MS);

  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close(() => void runtime.close().then(() => process.exit(0)));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Random demo passwords go to the terminal once, never through the logger. */
function printOnce(demo: DemoCredential[]): void {
  const lines = demo.map((d) => `  ${d.username.padEnd(10)} ${d.password}`);
  process.stdout.write(`\nDemo logins (shown once; set DEMO_PASSWORD to choose one password for all):\n${lines.join("\n")}\n\n`);
}

main().catch((err: unknown) => {
  // A bad setting is one line naming the variable; anything else is a real crash.
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `Vouchdesk failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
