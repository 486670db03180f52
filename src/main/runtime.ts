import { anchorAuditHead, auditAnchorFile } from "../platform/audit/audit-anchor.js";
import type { Clock } from "../shared/clock.js";
import type { Config } from "../shared/config.js";
import { migrate, openDatabase, openReader, type Db } from "../shared/db.js";
import { tuneHeap } from "./heap.js";
import type { Logger } from "../shared/logger.js";
import { newWorkerId } from "../shared/leases.js";
import { openDeskKey } from "./desk-key-start.js";
import { senderFromConfig, type Mailer } from "../platform/mail/mailer.js";
import { mailerOnSettings, MailSettingsCache } from "../platform/mail/mail-settings.js";
import { resolveDataKey, type DataKey } from "../shared/sealing.js";
import { deskTasks } from "./jobs.js";
import { Scheduler } from "../platform/tasks/scheduler.js";

/** How often a worker looks for due tasks (mail delivery among them). */
export const WORKER_POLL_MS = 1000;

/**
 * How long a stopping process may take before it is ended hard: longer than one mail send may
 * take (its send timeout, at most 30 s), so the mail in hand is finished and recorded, not sent twice.
 */
export const SHUTDOWN_GRACE_MS = 45_000;

/** Closes the runtime once `first` (what must end before it) is done, then exits: 0 when all closed, 1 logged on a failure or after the grace period. */
export function exitAfterClose(runtime: Runtime, logger: Logger, first: Promise<unknown>): void {
  setTimeout(() => {
    logger.error({ graceMs: SHUTDOWN_GRACE_MS }, "shutdown took longer than its grace period; exiting now");
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  first
    .then(() => runtime.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
}

export interface Runtime {
  db: Db;
  /** Read-only handle for the hot pages; the same as `db` on PostgreSQL. */
  reader: Db;
  mailer: Mailer;
  scheduler: Scheduler;
  close(): Promise<void>;
}

/** What both the web process and a separate worker need: a migrated database, the mail setup and the tasks. */
export async function openRuntime(config: Config, logger: Logger, clock: Clock, dataKey: DataKey = resolveDataKey(config, (message) => logger.warn(message))): Promise<Runtime> {
  tuneHeap();
  const db = openDatabase(config.databaseUrl);
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, "database migrated");
  const sender = senderFromConfig(config);
  const identity = { name: "Vouchdesk", email: `desk@${sender.hostname}` };
  const deskKey = await openDeskKey({ db, clock, logger }, { file: config.deskKeyFile, rotate: config.deskKeyRotate, identity });
  // The mail settings (environment, then the console's) are read again at each delivery: a save reaches this process without a restart.
  const mailSettings = new MailSettingsCache({ db, config, dataKey });
  const mailer = mailerOnSettings(mailSettings, { sender, deskKey, baseUrl: config.baseUrl, timeZone: config.timeZone }, config.mail.transport);
  const transport = mailer.transport;
  const anchorFile = auditAnchorFile(config.varDir);
  const workerId = newWorkerId();
  const tasks = deskTasks({ db, clock, logger, transport, deskKey, from: config.mail.from, workerId, leaseMs: config.leases.mailMs, auditAnchorFile: anchorFile, approvalPolicy: { twoPerson: config.resetTwoPerson, keylessDelivery: config.keylessDelivery }, inboundDomain: config.inbound.domain, imap: config.inbound.imapUrl ? { url: config.inbound.imapUrl, pollMs: config.inbound.imapPollMs } : null, attachmentMaxBytes: config.attachmentMaxBytes, sendingEnabled: () => mailSettings.sendingEnabled() }, mailer);
  const scheduler = new Scheduler(db, clock, logger, tasks, { owner: workerId, leaseMs: config.leases.taskMs });
  await scheduler.register();
  const reader = openReader(config.databaseUrl, db);
  return {
    db,
    reader,
    mailer,
    scheduler,
    async close() {
      await scheduler.stop();
      // The head as this process leaves it, so rows deleted while it is down are caught.
      await anchorAuditHead({ db, clock, logger, deskKey, file: anchorFile }).catch((err: unknown) => logger.error({ err, file: anchorFile }, "audit head not anchored at shutdown"));
      transport.close();
      if (reader !== db) await reader.destroy();
      await db.destroy();
    },
  };
}
