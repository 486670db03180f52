/** The agent queue (`GET /desk`) against a bare Express page rendering the same layout (DESIGN §9). */
import { BENCH_PASSWORD, copyForRun, seededDatabase } from "./database.js";
import { measure, probe, signIn } from "./load.js";
import type { BenchOptions } from "./options.js";
import { formatReport, type SizeResult } from "./report.js";
import { startServer } from "./server-process.js";

type Log = (line: string) => void;

async function runSize(tickets: number, options: BenchOptions, log: Log): Promise<SizeResult> {
  const source = await seededDatabase(tickets, options.fresh, log);
  const run = copyForRun(source);
  const server = await startServer(run.url, run.dir);
  try {
    const cookie = await signIn(server.desk, "alice", BENCH_PASSWORD);
    const queueUrl = `${server.desk}/desk`;
    const bareUrl = `${server.bare}/desk`;
    const queueBytes = await probe(queueUrl, cookie);
    const bareBytes = await probe(bareUrl);
    const load = { cookie, connections: options.connections };
    if (options.warmup) {
      log(`warming up ${options.warmup} s per page`);
      await measure(bareUrl, { ...load, duration: options.warmup });
      await measure(queueUrl, { ...load, duration: options.warmup });
    }
    log(`measuring bare page ${options.duration} s`);
    const bare = { ...(await measure(bareUrl, { duration: options.duration, connections: options.connections })), bytes: bareBytes };
    log(`measuring /desk ${options.duration} s`);
    const queue = { ...(await measure(queueUrl, { ...load, duration: options.duration })), bytes: queueBytes };
    return { tickets, bare, queue };
  } finally {
    await server.stop();
    run.remove();
  }
}

export async function queueSuite(options: BenchOptions, log: Log): Promise<string> {
  const results: SizeResult[] = [];
  for (const tickets of options.tickets) {
    log(`${tickets.toLocaleString("en")} tickets`);
    results.push(await runSize(tickets, options, log));
  }
  const title = `GET /desk as agent vs a bare page with the same layout; SQLite; ${options.connections} connections, ${options.duration} s each (after ${options.warmup} s warm-up)`;
  return `${title}\n\n${formatReport(results)}`;
}
