/**
 * `/healthz` while 50 clients sign in continuously (DESIGN §9: password hashing must not block
 * the event loop), against `/healthz` with no other load, in the same server process.
 */
import { runDatabase } from "./database.js";
import { BENCH_PASSWORD } from "./seed.js";
import { measure, probe, signInLoad } from "./load.js";
import type { BenchOptions } from "./options.js";
import { formatHealthzReport } from "./report.js";
import { startServer } from "./server-process.js";

/** DESIGN §9: /healthz p95 under 20 ms while 50 clients sign in continuously. */
const CLIENTS = 50;
const TICKETS = 10_000;

export async function healthzSuite(options: BenchOptions, log: (line: string) => void): Promise<string> {
  const run = await runDatabase(options.db, TICKETS, options.fresh, log);
  // Every sign-in comes from 127.0.0.1: lift the per-address limit (the correct password never locks the login).
  const server = await startServer(run.url, run.dir, log, { env: { LOGIN_IP_LIMIT: "100000" } });
  try {
    const url = `${server.desk}/healthz`;
    await probe(url);
    const once = { connections: 1, duration: options.duration };
    if (options.warmup) await measure(url, { ...once, duration: options.warmup });
    log(`measuring /healthz idle ${options.duration} s`);
    const idle = await measure(url, once);

    log(`${CLIENTS} clients signing in as alice${options.warmup ? `, ${options.warmup} s before measuring` : ""}`);
    const load = signInLoad(server.desk, "alice", BENCH_PASSWORD, CLIENTS);
    await new Promise((resolve) => setTimeout(resolve, options.warmup * 1000));
    log(`measuring /healthz under sign-in load ${options.duration} s`);
    const before = { signIns: load.signIns, at: performance.now() };
    const signingIn = await measure(url, once);
    const signInsPerSecond = (load.signIns - before.signIns) / ((performance.now() - before.at) / 1000);
    const { failures } = await load.stop();

    const title = `GET /healthz, 1 connection, ${options.duration} s idle then ${options.duration} s while ${CLIENTS} clients sign in (form, CSRF token, argon2id check) one after another; ${run.name}, ${TICKETS.toLocaleString("en")} tickets`;
    return `${title}\n\n${formatHealthzReport({ clients: CLIENTS, idle, signingIn, signInsPerSecond, signInFailures: failures })}`;
  } finally {
    await server.stop();
    await run.remove();
  }
}
