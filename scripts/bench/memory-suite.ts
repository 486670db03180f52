/**
 * The server's resident memory over three equal blocks of requests as a signed-in agent
 * (DESIGN §9: under 200 MB after 100,000 requests, no growth between the second and third
 * 50,000), against its RSS just after start. RSS is read from /proc; nothing forces a GC.
 */
import { readFileSync } from "node:fs";
import type { Request } from "autocannon";
import { runDatabase } from "./database.js";
import { BENCH_PASSWORD } from "./seed.js";
import { measure, probe, signIn } from "./load.js";
import type { BenchOptions } from "./options.js";
import { formatMemoryReport, type MemoryResult } from "./report.js";
import { startServer } from "./server-process.js";

const TICKETS = 10_000;

/** A field of /proc/<pid>/status in bytes: VmRSS (resident now) or VmHWM (peak resident). */
function memoryOf(pid: number, field: "VmRSS" | "VmHWM"): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  if (!kb) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

const randomTicket = (request: Request) => ({ ...request, path: `/desk/tickets/${1 + Math.floor(Math.random() * TICKETS)}` });
/** Each connection's round: the queue eight times, one ticket at random, the health check. */
const MIX: Request[] = [...Array.from({ length: 8 }, () => ({ path: "/desk" })), { path: "/desk/tickets/1", setupRequest: randomTicket }, { path: "/healthz" }];

export async function memorySuite(options: BenchOptions, log: (line: string) => void): Promise<string> {
  const run = await runDatabase(options.db, TICKETS, options.fresh, log);
  const server = await startServer(run.url, run.dir, log);
  try {
    const cookie = await signIn(server.desk, "alice", BENCH_PASSWORD);
    for (const path of ["/desk", "/desk/tickets/1", "/healthz"]) await probe(server.desk + path, cookie);
    const result: MemoryResult = { start: memoryOf(server.pid, "VmRSS"), blocks: [], peak: 0 };
    const requests = options.requests / 3;
    for (let block = 1; block <= 3; block++) {
      log(`block ${block} of 3: ${requests.toLocaleString("en")} requests`);
      const m = await measure(server.desk, { cookie, connections: options.connections, amount: requests, requests: MIX });
      result.blocks.push({ ...m, requests, rss: memoryOf(server.pid, "VmRSS") });
    }
    result.peak = memoryOf(server.pid, "VmHWM");
    const title = `server RSS over ${options.requests.toLocaleString("en")} requests as agent alice in three blocks (per round: 8 × GET /desk, a random ticket, /healthz), ${options.connections} connections; ${run.name}, ${TICKETS.toLocaleString("en")} tickets`;
    return `${title}\n\n${formatMemoryReport(result)}`;
  } finally {
    await server.stop();
    await run.remove();
  }
}
