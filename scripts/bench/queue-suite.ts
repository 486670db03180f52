/**
 * The desk's pages against two baselines (DESIGN §9, issue 19): a bare Express page rendering
 * the same layout (render only) and the same page behind the app's whole middleware stack (the
 * bare stack). The pages: the agent queue (`GET /desk`), a filtered view, its second page (the
 * first page's `after` link), searches (issue 16: a customer's email address, a word on one
 * ticket in twenty, a word found nowhere), the customer portal, and a ticket with 200 events.
 * They are measured in interleaved rounds (bare, bare stack, /desk, …; again …) so a drift of
 * the machine hits them all, with the server's CPU time per answer beside req/s and p95.
 */
import { openDatabase } from "../../src/shared/db.js";
import { BARE_STACK_PATH } from "./bare-app.js";
import { runDatabase } from "./database.js";
import { measure, probe, signIn } from "./load.js";
import type { BenchOptions } from "./options.js";
import { formatReport, PAGES, type PageRuns, type SizeResult } from "./report.js";
import { BENCH_PASSWORD, LONG_TICKET_EVENTS, longTicketId, portalLogin } from "./seed.js";
import { startServer } from "./server-process.js";

type Log = (line: string) => void;
const FILTERED = "/desk?view=mine";

/**
 * What the pages look up in the seeded database: the email of the newest ticket's requester
 * (the same kind of customer at every size), a subject word of the seed data, a word it never
 * uses, the long ticket and the portal's customer.
 */
async function lookups(url: string) {
  const db = openDatabase(url);
  try {
    const row: unknown = await db("tickets").join("users", "users.id", "tickets.requester_id").orderBy("tickets.id", "desc").first("users.email");
    return { email: (row as { email: string }).email, broad: "invoice", miss: "xylophone", longTicket: await longTicketId(db), customer: await portalLogin(db) };
  } finally {
    await db.destroy();
  }
}

/** The queue page's "Older tickets" link (its `after` cursor), as the browser would follow it. */
function olderLink(html: string): string {
  const href = /<a href="([^"]*\bafter=[^"]*)" rel="next"/.exec(html)?.[1];
  if (!href) throw new Error("the queue's first page has no “Older tickets” link to follow");
  return href.replace(/&amp;/g, "&");
}

type Page = PageRuns & { url: string; cookie?: string };

async function pagesOf(found: Awaited<ReturnType<typeof lookups>>, desk: string, bare: string): Promise<Page[]> {
  const [agent, customer] = [await signIn(desk, "alice", BENCH_PASSWORD), await signIn(desk, found.customer, BENCH_PASSWORD)];
  const search = (q: string) => `${desk}/desk?q=${encodeURIComponent(q)}`;
  const page = (name: string, url: string, cookie?: string): Page => ({ page: name, url, bytes: 0, rounds: [], ...(cookie ? { cookie } : {}) });
  const first = await probe(`${desk}/desk`, agent);
  return [
    page(PAGES.bare, `${bare}/desk`),
    page(PAGES.bareStack, desk + BARE_STACK_PATH, agent),
    page(PAGES.desk, `${desk}/desk`, agent),
    page(PAGES.filtered, desk + FILTERED, agent),
    page(PAGES.secondPage, desk + olderLink(first.body), agent),
    page(PAGES.searchEmail, search(found.email), agent),
    page(PAGES.searchBroad, search(found.broad), agent),
    page(PAGES.searchMiss, search(found.miss), agent),
    page(PAGES.portal, `${desk}/tickets`, customer),
    page(PAGES.longTicket, `${desk}/desk/tickets/${found.longTicket}`, agent),
  ];
}

async function runSize(tickets: number, options: BenchOptions, log: Log): Promise<SizeResult & { customer: string }> {
  const run = await runDatabase(options.db, tickets, options.fresh, log);
  const found = await lookups(run.url);
  const server = await startServer(run.url, run.dir, log);
  try {
    const pages = await pagesOf(found, server.desk, server.bare);
    for (const p of pages) p.bytes = (await probe(p.url, p.cookie)).bytes;
    const load = (p: Page, duration: number) => measure(p.url, { cookie: p.cookie, connections: options.connections, duration, serverPid: server.pid, dbCpuMs: run.cpuMs });
    if (options.warmup) {
      log(`warming up ${options.warmup} s per page`);
      for (const p of pages) await load(p, options.warmup);
    }
    const perRound = options.duration / options.rounds;
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round} of ${options.rounds}: ${pages.length} pages, ${perRound.toFixed(1)} s each`);
      for (const p of pages) p.rounds.push(await load(p, perRound));
    }
    return { tickets, customer: found.customer, pages: pages.map(({ page, bytes, rounds }) => ({ page, bytes, rounds })) };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nThe server wrote:\n${server.output()}`, { cause: err });
  } finally {
    await server.stop();
    await run.remove();
  }
}

export async function queueSuite(options: BenchOptions, log: Log): Promise<string> {
  const results: (SizeResult & { customer: string })[] = [];
  for (const tickets of options.tickets) {
    log(`${tickets.toLocaleString("en")} tickets`);
    results.push(await runSize(tickets, options, log));
  }
  const db = options.db === "pg" ? "PostgreSQL (seeded afresh in this run's cluster)" : "SQLite (cached seeded file, copied per run)";
  const title = [
    `The desk's pages as agent alice (the portal as ${results.map((r) => r.customer).join(", ")}: the seeded customer who opened the most tickets) against a bare page with the same layout and that page behind the whole middleware stack; ${db}; ${options.connections} connections; ${options.rounds} interleaved rounds of ${(options.duration / options.rounds).toFixed(1)} s per page (after ${options.warmup} s warm-up)`,
    `filtered = ${FILTERED}; second page = the first page's "Older tickets" link; long ticket = a seeded ticket given ${LONG_TICKET_EVENTS} timeline events`,
  ].join("\n");
  return `${title}\n\n${formatReport(results)}`;
}
