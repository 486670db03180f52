import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express, Router } from "express";
import { loadDemoData } from "../../src/dev/demo-data.js";
import { createApp } from "../../src/main/app.js";
import type { Clock } from "../../src/shared/clock.js";
import { loadConfig, type Config } from "../../src/shared/config.js";
import { migrate, openDatabase, openReader, type Db } from "../../src/shared/db.js";
import { createLogger } from "../../src/shared/logger.js";
import { resolveDataKey } from "../../src/shared/sealing.js";
import { newWorkerId } from "../../src/shared/leases.js";
import { deskKeyOf, generateDeskKey, type DeskKey } from "../../src/platform/mail/desk-key.js";
import { senderFromConfig, type Mailer } from "../../src/platform/mail/mailer.js";
import { fileTransport, smtpTransport } from "../../src/platform/mail/transports.js";
import { mailerOnSettings, MailSettingsCache } from "../../src/platform/mail/mail-settings.js";
import { deskTasks } from "../../src/main/jobs.js";
import { deskMetrics } from "../../src/main/metrics.js";
import type { DeskMetrics } from "../../src/platform/metrics/desk-metrics.js";
import { Scheduler } from "../../src/platform/tasks/scheduler.js";
import { databaseContains, freshDatabase, type TestDatabase } from "./database.js";
import type { SmtpSink } from "./smtp-sink.js";

/** Demo logins in tests all share this password. */
export const DEMO_PASSWORD = "Demo-Passw0rd!x";

/** The data key of test apps (a fixed one, so nothing is written into var/). */
export const TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS10aGlydHktdHdvLWJ5dGVzISE=";

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  // Starts at the real time: keys generated during a test are valid from then on.
  private t = Date.now();
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t += ms;
  }
}

/** A creation date for keys made during a test: a minute before the clock, so the key is valid at its `now`. */
export const keyDateFor = (clock: TestClock): Date => new Date(clock.now().getTime() - 60_000);

/** One desk key for the whole test run: generating one per app would only slow the suite. */
let deskKey: Promise<DeskKey> | undefined;
export function testDeskKey(): Promise<DeskKey> {
  deskKey ??= generateDeskKey({ name: "Vouchdesk test desk", email: "desk@vouchdesk.test" }).then((key) => deskKeyOf(key));
  return deskKey;
}

export interface TestApp {
  app: Express;
  db: Db;
  /** The read connections (on SQLite; the same as `db` on PostgreSQL). */
  reader: Db;
  clock: TestClock;
  config: Config;
  mailer: Mailer;
  scheduler: Scheduler;
  /** The app's metrics (what /metrics and a METRICS_PORT listener serve). */
  metrics: DeskMetrics;
  /** Where the file transport writes, when no SMTP sink was given. */
  mailDir: string;
  /** Where the anchor-audit-head task writes the signed head of the audit chain. */
  auditAnchorFile: string;
  /** Every line the app has logged so far. */
  logs(): string;
  /** True when the secret is in the database (file bytes and every row) or in the logs. */
  leaks(secret: string): Promise<boolean>;
  /** Runs the deliver-mail task once, as the worker would. */
  deliverMail(): Promise<void>;
  /** Runs the task that audits rate-limit refusals of ended windows, once. */
  auditRefusals(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** A real SMTP server in the test process; without one, mail is written to files. */
  smtp?: SmtpSink;
  /** An existing database to use; by default a fresh one with the demo data. */
  database?: TestDatabase;
  /** Load the demo data into the given `database` too (it is loaded into a fresh one always). */
  seedDemo?: boolean;
  /** Send as the desk does, by the effective mail settings (environment, then the console's), instead of a transport built here. */
  mailSettings?: boolean;
  /** Routes mounted behind the app's whole stack (AppDeps.extraRoutes), e.g. the bench's bare-stack page. */
  extraRoutes?: Router;
}

/**
 * A whole app on a fresh database with the demo data, the environment overridden by `env`.
 * No worker runs in the background: tests deliver mail with `deliverMail()`.
 */
export function startTestApp(env: Record<string, string> = {}, smtp?: SmtpSink): Promise<TestApp> {
  return buildTestApp({ env, smtp });
}

export async function buildTestApp(options: TestAppOptions): Promise<TestApp> {
  const env = options.env ?? {};
  const database = options.database ?? (await freshDatabase());
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    SESSION_SECRET: "test-session-secret-that-is-long-enough",
    DATA_KEY: TEST_DATA_KEY,
    ...env,
    DATABASE_URL: database.url,
  });
  const lines: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void lines.push(line) });
  const db = openDatabase(config.databaseUrl);
  await migrate(db);
  // The desk key first: a key created after the clock's start is not yet valid to it.
  const deskKey = await testDeskKey();
  const clock = new TestClock();
  if (!options.database || options.seedDemo) await loadDemoData(db, clock, DEMO_PASSWORD);

  const mailDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-mail-"));
  const smtp = options.smtp;
  const dataKey = resolveDataKey(config);
  const base = { sender: senderFromConfig(config), deskKey, baseUrl: config.baseUrl, timeZone: config.timeZone };
  const mailSettings = options.mailSettings ? new MailSettingsCache({ db, config: { ...config, mail: { ...config.mail, dir: mailDir } }, dataKey }) : null;
  const mailer: Mailer = mailSettings
    ? mailerOnSettings(mailSettings, base, config.mail.transport)
    : { ...base, transport: smtp ? smtpTransport({ host: "127.0.0.1", port: smtp.port, secure: false, user: env.SMTP_USER, pass: env.SMTP_PASS }) : fileTransport(mailDir) };
  const transport = mailer.transport;
  const anchorDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-anchor-"));
  const auditAnchorFile = path.join(anchorDir, "audit-anchor.asc");
  const workerId = newWorkerId();
  const tasks = deskTasks({ db, clock, logger, transport, deskKey: mailer.deskKey, from: config.mail.from, workerId, leaseMs: config.leases.mailMs, auditAnchorFile, approvalPolicy: { twoPerson: config.resetTwoPerson, keylessDelivery: config.keylessDelivery }, attachmentMaxBytes: config.attachmentMaxBytes, ...(mailSettings ? { sendingEnabled: () => mailSettings.sendingEnabled() } : {}) }, mailer);
  const scheduler = new Scheduler(db, clock, logger, tasks, { owner: workerId, leaseMs: config.leases.taskMs });
  await scheduler.register();
  const reader = openReader(config.databaseUrl, db);
  const metrics = deskMetrics({ reader, clock, scheduler });
  const app = createApp({ config, db, reader, logger, clock, sessionSecret: config.sessionSecret!, dataKey, mailer, scheduler, metrics, extraRoutes: options.extraRoutes });
  return {
    app,
    db,
    reader,
    clock,
    config,
    mailer,
    scheduler,
    metrics,
    mailDir,
    auditAnchorFile,
    logs: () => lines.join(""),
    leaks: async (secret) => lines.join("").includes(secret) || (await databaseContains(db, database.files, secret)),
    async deliverMail() {
      await scheduler.run("deliver-mail");
    },
    async auditRefusals() {
      await scheduler.run("audit-rate-limit-refusals");
    },
    async close() {
      transport.close();
      rmSync(mailDir, { recursive: true, force: true });
      rmSync(anchorDir, { recursive: true, force: true });
      if (reader !== db) await reader.destroy();
      await db.destroy();
      if (!options.database) await database.drop();
    },
  };
}
