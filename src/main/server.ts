import { loadDemoData, type DemoCredential } from "../dev/demo-data.js";
import { loadDemoTickets } from "../dev/demo-tickets.js";
import { createApp } from "./app.js";
import { systemClock } from "../shared/clock.js";
import { ConfigError, resolveSessionSecret, type Config } from "../shared/config.js";
import { dataKeyOpensSecrets } from "../identity/index.js";
import { createProcessLogger, writeBesideLog } from "../shared/logger.js";
import { resolveDataKey } from "../shared/sealing.js";
import { guardProcess } from "./process-guard.js";
import { startInboundReceiver } from "./inbound.js";
import { exitAfterClose, openRuntime, WORKER_POLL_MS } from "./runtime.js";
import { deskMetrics, listenForMetrics } from "./metrics.js";
import { exitStartFailed, startProcess, startupError } from "./startup-failure.js";

const WRONG_DATA_KEY =
  "Cannot start: the database holds authenticator secrets sealed with another data key (DATA_KEY, or var/data-key in VAR_DIR): put back the key file from the backup made with this database, or set DATA_KEY to that key. A new key would lock every login with an authenticator app out of its second step.";

async function start(config: Config): Promise<void> {
  const sessionSecret = resolveSessionSecret(config);
  const logger = createProcessLogger(config.logLevel, config.production);
  const dataKey = resolveDataKey(config, (message) => logger.warn(message));
  guardProcess(logger);
  const runtime = await openRuntime(config, logger, systemClock, dataKey);
  const { db, reader, mailer, scheduler } = runtime;
  if (!(await dataKeyOpensSecrets(db, dataKey))) throw new ConfigError(WRONG_DATA_KEY);

  // Demo records only outside production: a production desk starts empty (npm run cli -- create-admin).
  const demoLogins = config.production ? null : await loadDemoData(db, systemClock, process.env.DEMO_PASSWORD || undefined);
  const demo = demoLogins ? [...demoLogins, ...(await loadDemoTickets({ db, clock: systemClock, mailer }, process.env.DEMO_PASSWORD || undefined))] : null;
  if (demo) logger.info({ logins: demo.map((d) => d.username) }, "demo data loaded");

  const metrics = deskMetrics({ reader, clock: systemClock, scheduler }, { processMetrics: true });
  const app = createApp({ config, db, reader, logger, clock: systemClock, sessionSecret, dataKey, mailer, scheduler, metrics });
  const metricsServer = config.metrics.port === null ? null : await listenForMetrics(metrics, config.metrics.port);
  if (metricsServer) logger.info({ host: "127.0.0.1", port: config.metrics.port }, "metrics listening");
  // Express hands a listen error (port taken) to this callback.
  const server = app.listen(config.port, (err?: Error) => {
    if (err) exitStartFailed("Vouchdesk")(startupError(err, config));
    logger.info({ url: config.baseUrl, port: config.port, mail: config.mail.transport, worker: config.worker }, "Vouchdesk is listening");
    // After "listening", as a block of its own: what a newcomer needs next, not buried in log lines.
    if (demo) writeBesideLog(logger, demoBlock(config.baseUrl, demo, Boolean(process.env.DEMO_PASSWORD)));
  });
  if (config.worker === "inline") scheduler.start(WORKER_POLL_MS);
  const receiver = await startInboundReceiver(config, db, systemClock, logger);

  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down");
    // The inline worker stops claiming mail at once, while the open requests finish.
    const requestsDone = new Promise<void>((resolve) => server.close(() => resolve()));
    const metricsDone = new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    exitAfterClose(runtime, logger, Promise.all([scheduler.stop(), requestsDone, metricsDone, receiver?.close()]));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Random demo passwords go to the terminal once, never into a log line. */
function demoBlock(baseUrl: string, demo: DemoCredential[], chosenPassword: boolean): string {
  const width = Math.max(...demo.map((d) => d.username.length));
  const lines = demo.map((d) => `    ${d.username.padEnd(width)}  ${d.role.padEnd(9)}  ${chosenPassword ? "(DEMO_PASSWORD)" : d.password}`);
  const note = chosenPassword ? "every demo login has the password in DEMO_PASSWORD" : "shown once: copy them now; rm -rf var starts again, DEMO_PASSWORD chooses one password for all";
  return `\n  Vouchdesk is ready: open ${baseUrl}\n\n  Demo logins (${note}):\n${lines.join("\n")}\n\n`;
}

startProcess("Vouchdesk", start);
