/**
 * The agent queue (`GET /desk`) against a bare Express page rendering the same layout (DESIGN §9),
 * and searches of it (issue 16): a customer's email address (a hit of a few tickets), a word on
 * one ticket in twenty (a broad hit) and a word found nowhere (a miss). The pages are measured in
 * interleaved rounds (bare, /desk, the searches; again …) so a drift of the machine hits them all,
 * with the server's CPU time per answer beside req/s (issue 19).
 */
import { openDatabase } from "../../src/shared/db.js";
import { BARE_STACK_PATH } from "./bare-app.js";
import { BENCH_PASSWORD, copyForRun, seededDatabase } from "./database.js";
import { measure, probe, signIn } from "./load.js";
import type { BenchOptions } from "./options.js";
import { formatReport, type PageRuns, type SizeResult } from "./report.js";
import { startServer } from "./server-process.js";

type Log = (line: string) => void;

/**
 * What the searches look for in the seeded database: the email of the newest ticket's requester
 * (the same kind of customer at every size), a subject word of the seed data, and a word it never uses.
 */
async function searchTerms(url: string): Promise<[string, string][]> {
  const db = openDatabase(url);
  try {
    const row: unknown = await db("tickets").join("users", "users.id", "tickets.requester_id").orderBy("tickets.id", "desc").first("users.email");
    return [
      ["search hit (email)", (row as { email: string }).email],
      ["search hit (broad word)", "invoice"],
      ["search miss", "xylophone"],
    ];
  } finally {
    await db.destroy();
  }
}

async function runSize(tickets: number, options: BenchOptions, log: Log): Promise<SizeResult> {
  const source = await seededDatabase(tickets, options.fresh, log);
  const run = copyForRun(source);
  const server = await startServer(run.url, run.dir, log);
  try {
    const cookie = await signIn(server.desk, "alice", BENCH_PASSWORD);
    const queueUrl = `${server.desk}/desk`;
    const pages: (PageRuns & { url: string; cookie?: string })[] = [
      { page: "bare", url: `${server.bare}/desk`, bytes: 0, rounds: [] },
      { page: "bare stack", url: `${server.desk}${BARE_STACK_PATH}`, cookie, bytes: 0, rounds: [] },
      { page: "/desk", url: queueUrl, cookie, bytes: 0, rounds: [] },
      ...(await searchTerms(run.url)).map(([page, q]) => ({ page, url: `${queueUrl}?q=${encodeURIComponent(q)}`, cookie, bytes: 0, rounds: [] })),
    ];
    for (const p of pages) p.bytes = await probe(p.url, p.cookie);
    const load = (p: (typeof pages)[number], duration: number) => measure(p.url, { cookie: p.cookie, connections: options.connections, duration, serverPid: server.pid });
    if (options.warmup) {
      log(`warming up ${options.warmup} s per page`);
      for (const p of pages) await load(p, options.warmup);
    }
    const perRound = options.duration / options.rounds;
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round} of ${options.rounds}: ${pages.length} pages, ${perRound.toFixed(1)} s each`);
      for (const p of pages) p.rounds.push(await load(p, perRound));
    }
    return { tickets, pages: pages.map(({ page, bytes, rounds }) => ({ page, bytes, rounds })) };
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
  const title = `GET /desk as agent vs a bare page with the same layout; SQLite; ${options.connections} connections; ${options.rounds} interleaved rounds of ${(options.duration / options.rounds).toFixed(1)} s per page (after ${options.warmup} s warm-up)`;
  return `${title}\n\n${formatReport(results)}`;
}
