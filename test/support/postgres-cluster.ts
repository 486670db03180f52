import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A private PostgreSQL cluster (Debian's postgresql package) that a fault test may stop and
 * start: its own data directory and a free loopback port. As root the server runs as the
 * postgres user, since initdb refuses root.
 */
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** Stops the server and removes its files. */
  remove(): void;
}

export function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = readdirSync(root).sort((a, b) => Number(a) - Number(b));
  if (!versions.length) throw new Error("PostgreSQL is not installed: apt-get install postgresql");
  return path.join(root, versions.at(-1)!, "bin");
}

/** A loopback port nothing listens on at the moment. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-pg-"));
  const root = process.getuid?.() === 0;
  if (root) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString().trim()), Number(execFileSync("id", ["-g", "postgres"]).toString().trim()));
  const run = (cmd: string, args: string[]) => execFileSync(root ? "runuser" : cmd, root ? ["-u", "postgres", "--", cmd, ...args] : args, { stdio: "pipe" });
  const data = path.join(dir, "data");
  const log = path.join(dir, "log");
  run(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres"]);
  const start = (port: number) => void run(path.join(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  const port = await startOnFreePort(start, log);
  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => start(port),
    stop: () => void run(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]),
    remove: () => {
      try {
        cluster.stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** A free port can be taken by another test run before the server binds it: then it starts again on another. */
async function startOnFreePort(start: (port: number) => void, logFile: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      start(port);
      return port;
    } catch (err) {
      const taken = existsSync(logFile) && readFileSync(logFile, "utf8").includes("Address already in use");
      if (attempt === 5 || !taken) throw err;
    }
  }
}
