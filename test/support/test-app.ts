import type { Express } from "express";
import { loadDemoData } from "../../src/accounts/demo-data.js";
import { createApp } from "../../src/app.js";
import type { Clock } from "../../src/clock.js";
import { loadConfig, type Config } from "../../src/config.js";
import { migrate, openDatabase, type Db } from "../../src/db.js";
import { createLogger } from "../../src/logger.js";
import { freshDatabase, databaseContains } from "./database.js";

/** Demo logins in tests all share this password. */
export const DEMO_PASSWORD = "Demo-Passw0rd!x";

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  private t = Date.parse("2026-11-23T09:00:00Z");
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export interface TestApp {
  app: Express;
  db: Db;
  clock: TestClock;
  config: Config;
  /** Every line the app has logged so far. */
  logs(): string;
  /** True when the secret is in the database (file bytes and every row) or in the logs. */
  leaks(secret: string): Promise<boolean>;
  close(): Promise<void>;
}

/** A whole app on a fresh database with the demo data, the environment overridden by `env`. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    SESSION_SECRET: "test-session-secret-that-is-long-enough",
    ...env,
    DATABASE_URL: database.url,
  });
  const lines: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void lines.push(line) });
  const db = openDatabase(config.databaseUrl);
  await migrate(db);
  const clock = new TestClock();
  await loadDemoData(db, clock, DEMO_PASSWORD);
  const app = createApp({ config, db, logger, clock, sessionSecret: config.sessionSecret! });
  return {
    app,
    db,
    clock,
    config,
    logs: () => lines.join(""),
    leaks: async (secret) => lines.join("").includes(secret) || (await databaseContains(db, database.files, secret)),
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
