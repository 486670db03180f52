/**
 * The agent queue (`GET /desk`) against a bare Express page rendering the same layout (DESIGN §9),
 * and searches of it (issue 16): a customer's email address (a hit of a few tickets), a word on
 * one ticket in twenty (a broad hit) and a word found nowhere (a miss).
 */
import { openDatabase } from "../../src/shared/db.js";
import { BENCH_PASSWORD, copyForRun, seededDatabase } from "./database.js";
import { measure, probe, signIn } from "./load.js";
import type { BenchOptions } from "./options.js";
import { formatReport, type SearchKind, type SizeResult } from "./report.js";
import { startServer } from "./server-process.js";

type Log = (line: string) => void;

/**
 * What the searches look for in the seeded database: the email of the newest ticket's requester
 * (the same kind of customer at every size), a subject word of the seed data, and a word it never uses.
 */
async function searchTerms(url: string): Promise<Record<SearchKind, string>> {
  const db = openDatabase(url);
  try {
    const row: unknown = await db("tickets").join("users", "users.id", "tickets.requester_id").orderBy("tickets.id", "desc").first("users.email");
    return { "search hit (email)": (row as { email: string }).email, "search hit (broad word)": "invoice", "search miss": "xylophone" };
  } finally {
    await db.destroy();
  }
}

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
    const searches: SizeResult["searches"] = [];
    for (const [kind, q] of Object.entries(await searchTerms(run.url)) as [SearchKind, string][]) {
      const url = `${queueUrl}?q=${encodeURIComponent(q)}`;
      const bytes = await probe(url, cookie);
      if (options.warmup) await measure(url, { ...load, duration: options.warmup });
      log(`measuring ${kind} ${options.duration} s`);
      searches.push({ kind, ...(await measure(url, { ...load, duration: options.duration })), bytes });
    }
    return { tickets, bare, queue, searches };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nThe server wrote:\n${server.output()}`, { cause: err });
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
