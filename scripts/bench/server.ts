/**
 * The bench's server process: the real app (production settings, WORKER=off) with the
 * bare-stack page behind its stack, and the bare baseline, each on its own loopback port in this one process. Started by scripts/bench.ts,
 * which passes the configuration in the environment; reports its URLs over IPC.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { Express } from "express";
import { createApp } from "../../src/main/app.js";
import { systemClock } from "../../src/shared/clock.js";
import { loadConfig, resolveSessionSecret } from "../../src/shared/config.js";
import { createLogger } from "../../src/shared/logger.js";
import { resolveDataKey } from "../../src/shared/sealing.js";
import { openRuntime } from "../../src/main/runtime.js";
import { bareApp, bareStackRoutes } from "./bare-app.js";

export interface ServerUrls {
  desk: string;
  bare: string;
}

const listen = (app: Express) =>
  new Promise<Server>((resolve, reject) => {
    const server = app.listen(0, "127.0.0.1", () => resolve(server));
    server.once("error", reject);
  });
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const runtime = await openRuntime(config, logger, systemClock);
  const app = createApp({ config, db: runtime.db, reader: runtime.reader, logger, clock: systemClock, sessionSecret: resolveSessionSecret(config), dataKey: resolveDataKey(config), mailer: runtime.mailer, scheduler: runtime.scheduler, extraRoutes: bareStackRoutes() });
  const servers = [await listen(app), await listen(bareApp())];
  const stop = () => {
    for (const s of servers) s.closeAllConnections();
    void Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
      .then(() => runtime.close())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("disconnect", stop);
  const urls: ServerUrls = { desk: urlOf(servers[0]!), bare: urlOf(servers[1]!) };
  process.send!(urls);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
