import type { Measurement } from "./load.js";

/** The queue suite's pages, by the names the report shows and finds them by. */
export const PAGES = {
  bare: "bare",
  bareStack: "bare stack",
  desk: "/desk",
  filtered: "filtered view",
  secondPage: "second page",
  searchEmail: "search hit (email)",
  searchBroad: "search hit (broad word)",
  searchMiss: "search miss",
  portal: "portal /tickets",
  longTicket: "ticket, 200 events",
} as const;

/** One page of the queue suite, measured once per interleaved round. */
export interface PageRuns {
  /** One of PAGES. */
  page: string;
  bytes: number;
  rounds: Measurement[];
}

export interface SizeResult {
  tickets: number;
  /** The bare page, the bare stack, then the desk's pages; found by name. */
  pages: PageRuns[];
}

/** One kind of mail through the outbox: composed and queued, then delivered to the SMTP server. */
export interface MailRun {
  kind: "plain" | "encrypted";
  mails: number;
  composeMs: number;
  deliverMs: number;
  /** Distinct queued Message-IDs the SMTP server received, each of its kind (PGP/MIME or not). */
  arrived: number;
  /** Other messages received: again, not queued by this run, or not of its kind. */
  extra: number;
  /** Attempts the delivery code counted as failed or dead. */
  failed: number;
}

export interface HealthzResult {
  clients: number;
  idle: Measurement;
  signingIn: Measurement;
  signInsPerSecond: number;
  signInFailures: number;
}

export interface MemoryResult {
  /** RSS in bytes after sign-in, before the first block. */
  start: number;
  blocks: (Measurement & { requests: number; rss: number })[];
  /** The process's peak RSS (VmHWM) at the end. */
  peak: number;
}

/** Targets from DESIGN §9. */
/** /desk at 100,000 tickets: server CPU per request, and that ÷ the bare stack's; its req/s ÷ the bare stack's. */
export const MAX_DESK_CPU_MS = 1.5;
export const MAX_DESK_CPU_RATIO = 2.5;
export const MIN_DESK_THROUGHPUT_RATIO = 0.5;
/** The size at which DESIGN §9 sets the /desk targets above. */
export const DESK_TARGET_TICKETS = 100_000;
/** CPU per request at the largest size ÷ at the smallest, for these pages. */
export const MAX_CPU_GROWTH = 1.15;
export const CPU_GROWTH_PAGES: readonly string[] = [PAGES.desk, PAGES.filtered, PAGES.searchEmail, PAGES.searchBroad, PAGES.searchMiss];
/** The ticket with 200 events ÷ /desk, CPU per request. */
export const MAX_LONG_TICKET_RATIO = 1.3;
/** Search p95 at the largest size ÷ at the smallest (issue 16). */
export const MAX_SEARCH_P95_GROWTH = 1.5;
export const MAIL_TARGET = { mails: 1_000, seconds: 5 };
export const MAX_HEALTHZ_P95_MS = 20;
export const MAX_RSS_MB = 200;
/**
 * "No growth" between the second and third blocks, read as: at most this many MB, the
 * noise of RSS read at a moment (the heap's collector runs when it will; the bench never forces it).
 */
export const MAX_RSS_GROWTH_MB = 5;

const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "—");
const mb = (bytes: number) => bytes / 1024 / 1024;
/** A floor or ceiling met is ok, else MISSED (a figure that could not be measured is MISSED too). */
const atLeast = (value: number, target: number) => (value >= target ? "ok" : "MISSED");
const atMost = (value: number, target: number) => (value <= target ? "ok" : "MISSED");

/** A plain-text table: the `left` columns are left-aligned, the rest right-aligned. */
function table(header: string[], rows: string[][], left: number[] = [0]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), ""];
}

const latencies = (m: Measurement) => [num(m.rps), num(m.p50, 2), num(m.p95, 2), num(m.p99, 2), num(m.failures)];

export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
/** "0.42 (0.38–0.47)": the median of the rounds and their range. */
const spread = (values: number[], digits: number) => {
  const finite = values.filter(Number.isFinite);
  return finite.length ? `${num(median(finite), digits)} (${num(Math.min(...finite), digits)}–${num(Math.max(...finite), digits)})` : "—";
};
/** Per round, this page's figure ÷ the other page's figure of the same round (both measured minutes apart at most). */
export function perRound(page: PageRuns, base: PageRuns, figure: (m: Measurement) => number): number[] {
  return page.rounds.map((m, i) => figure(m) / figure(base.rounds[i]!));
}
const cpu = (m: Measurement) => m.cpuMsPerRequest;
const rps = (m: Measurement) => m.rps;
const p95Of = (page: PageRuns) => median(page.rounds.map((m) => m.p95));
/** The server's CPU and, where it was measured (PostgreSQL), the database's: what a page costs in all. */
const totalCpu = (m: Measurement) => m.cpuMsPerRequest + (Number.isFinite(m.dbCpuMsPerRequest) ? m.dbCpuMsPerRequest : 0);
const totalCpuOf = (page: PageRuns) => median(page.rounds.map(totalCpu));
const pageOf = (r: SizeResult, page: string) => r.pages.find((p) => p.page === page);

/** A ratio of the rounds against its target: "name: median (min–max) (target ≤ t) ok". */
function ratioLine(name: string, ratios: number[], check: (v: number, t: number) => string, sign: string, target: number): string {
  return `${name}: ${spread(ratios, 2)} (target ${sign} ${target}) ${check(median(ratios), target)}`;
}

/**
 * The queue results as a plain-text table (server CPU per request first: the figure that holds
 * on a shared machine), then each DESIGN §9 figure against its target. Each figure is the median
 * of the interleaved rounds, with their range; ratios of two pages are taken within each round.
 */
export function formatReport(results: SizeResult[]): string {
  // On PostgreSQL the queries run in the database's processes: their CPU gets a column of its own.
  const withDb = results.some((r) => r.pages.some((p) => p.rounds.some((m) => Number.isFinite(m.dbCpuMsPerRequest))));
  const header = ["tickets", "page", "CPU ms/req", ...(withDb ? ["db CPU ms/req"] : []), "req/s", "p95 ms", "bytes", "CPU ÷ stack", "CPU ÷ bare", "req/s ÷ stack", "failed"];
  const rows: string[][] = [];
  for (const r of results) {
    const bare = pageOf(r, PAGES.bare)!;
    const stack = pageOf(r, PAGES.bareStack)!;
    for (const p of r.pages) {
      rows.push([
        num(r.tickets),
        p.page,
        spread(p.rounds.map(cpu), 2),
        ...(withDb ? [spread(p.rounds.map((m) => m.dbCpuMsPerRequest), 2)] : []),
        num(median(p.rounds.map(rps))),
        spread(p.rounds.map((m) => m.p95), 1),
        num(p.bytes),
        p === stack || p === bare ? "" : spread(perRound(p, stack, cpu), 2),
        p === bare ? "" : spread(perRound(p, bare, cpu), 2),
        p === stack || p === bare ? "" : spread(perRound(p, stack, rps), 2),
        num(p.rounds.reduce((n, m) => n + m.failures, 0)),
      ]);
    }
  }
  const out = table(header, rows, [1]);
  for (const r of results) {
    const at = `at ${num(r.tickets)} tickets`;
    const desk = pageOf(r, PAGES.desk)!;
    const stack = pageOf(r, PAGES.bareStack)!;
    const where = r.tickets === DESK_TARGET_TICKETS ? "" : ` (DESIGN §9 sets it at ${num(DESK_TARGET_TICKETS)})`;
    const deskCpu = desk.rounds.map(cpu);
    out.push(`/desk CPU per request ${at}: ${spread(deskCpu, 2)} ms (target ≤ ${MAX_DESK_CPU_MS} ms${where}) ${atMost(median(deskCpu), MAX_DESK_CPU_MS)}`);
    out.push(ratioLine(`/desk CPU ÷ bare stack ${at}`, perRound(desk, stack, cpu), atMost, "≤", MAX_DESK_CPU_RATIO));
    out.push(ratioLine(`/desk req/s ÷ bare stack ${at}`, perRound(desk, stack, rps), atLeast, "≥", MIN_DESK_THROUGHPUT_RATIO));
    const long = pageOf(r, PAGES.longTicket);
    if (long) out.push(ratioLine(`${long.page} CPU ÷ /desk CPU ${at}`, perRound(long, desk, cpu), atMost, "≤", MAX_LONG_TICKET_RATIO));
  }
  if (results.length > 1) {
    const [small, large] = [results[0]!, results[results.length - 1]!];
    const sizes = `at ${num(large.tickets)} ÷ at ${num(small.tickets)} tickets`;
    // A query that grows with the table shows in the database's CPU on PostgreSQL: it counts here.
    const what = withDb ? "CPU per request (server + db)" : "CPU per request";
    for (const name of CPU_GROWTH_PAGES) {
      const [before, after] = [pageOf(small, name), pageOf(large, name)];
      if (!before || !after) continue;
      const growth = totalCpuOf(after) / totalCpuOf(before);
      out.push(`${what} ${name} ${sizes}: ${num(growth, 2)} (${num(totalCpuOf(after), 2)} ÷ ${num(totalCpuOf(before), 2)} ms; target ≤ ${MAX_CPU_GROWTH}) ${atMost(growth, MAX_CPU_GROWTH)}`);
    }
    for (const p of large.pages.filter((p) => p.page.startsWith("search"))) {
      const before = pageOf(small, p.page);
      if (!before) continue;
      const growth = p95Of(p) / p95Of(before);
      out.push(`p95 ${p.page} ${sizes}: ${num(growth, 2)} (target ≤ ${MAX_SEARCH_P95_GROWTH}, issue 16) ${atMost(growth, MAX_SEARCH_P95_GROWTH)}`);
    }
  }
  if (results.some((r) => r.pages.some((p) => p.rounds.some((m) => m.failures > 0)))) out.push("Some requests failed: the figures above count only 200 answers.");
  return out.join("\n");
}

export function formatMailReport(plain: MailRun, encrypted: MailRun): string {
  const header = ["mail", "mails", "compose+enqueue s", "deliver s", "total s", "mails/s", "arrived", "extra", "failed", "time ÷ plain"];
  const total = (r: MailRun) => (r.composeMs + r.deliverMs) / 1000;
  const rows = [plain, encrypted].map((r) => [
    r.kind,
    num(r.mails),
    num(r.composeMs / 1000, 2),
    num(r.deliverMs / 1000, 2),
    num(total(r), 2),
    num(r.mails / total(r)),
    num(r.arrived),
    num(r.extra),
    num(r.failed),
    r === plain ? "" : num(total(r) / total(plain), 2),
  ]);
  const out = table(header, rows);
  const target = (MAIL_TARGET.seconds * encrypted.mails) / MAIL_TARGET.mails;
  const scaled = encrypted.mails === MAIL_TARGET.mails ? "" : `, ${MAIL_TARGET.seconds} s per ${num(MAIL_TARGET.mails)}`;
  out.push(`${num(encrypted.mails)} encrypted mails composed, queued and delivered: ${num(total(encrypted), 2)} s (target < ${num(target, 2)} s${scaled}) ${atMost(total(encrypted), target)}`);
  out.push(`time encrypted ÷ plain: ${num(total(encrypted) / total(plain), 2)}`);
  for (const r of [plain, encrypted]) {
    if (r.arrived !== r.mails || r.extra || r.failed) {
      out.push(`${r.kind}: ${num(r.mails - r.arrived)} of ${num(r.mails)} mails did not arrive, ${num(r.extra)} arrived more than once or unknown, ${num(r.failed)} attempts failed`);
    }
  }
  return out.join("\n");
}

export function formatHealthzReport(r: HealthzResult): string {
  const header = ["/healthz", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed"];
  const out = table(header, [
    ["idle", ...latencies(r.idle)],
    [`${r.clients} clients signing in`, ...latencies(r.signingIn)],
  ]);
  out.push(`sign-ins meanwhile: ${num(r.signInsPerSecond, 1)}/s${r.signInFailures ? `, ${num(r.signInFailures)} failed` : ""}`);
  out.push(`/healthz p95 while ${r.clients} clients sign in: ${num(r.signingIn.p95, 2)} ms (target < ${MAX_HEALTHZ_P95_MS} ms) ${atMost(r.signingIn.p95, MAX_HEALTHZ_P95_MS)}`);
  out.push(`/healthz p95 signing in ÷ idle: ${num(r.signingIn.p95 / r.idle.p95, 2)}`);
  if (r.idle.failures + r.signingIn.failures > 0) out.push("Some /healthz requests failed: the latencies count only 200 answers.");
  return out.join("\n");
}

export function formatMemoryReport(r: MemoryResult): string {
  const header = ["after", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed", "RSS MB"];
  let sent = 0;
  const rows = [["start", "0", "", "", "", "", "", num(mb(r.start), 1)]];
  for (const [i, b] of r.blocks.entries()) {
    sent += b.requests;
    rows.push([`block ${i + 1}`, num(sent), ...latencies(b), num(mb(b.rss), 1)]);
  }
  const out = table(header, rows);
  const [, second, third] = r.blocks;
  if (second && third) {
    const atSecond = r.blocks[0]!.requests + second.requests;
    const growth = mb(third.rss - second.rss);
    out.push(`RSS after ${num(atSecond)} requests: ${num(mb(second.rss), 1)} MB (target < ${MAX_RSS_MB} MB) ${atMost(mb(second.rss), MAX_RSS_MB)}`);
    out.push(`RSS growth from block 2 to block 3: ${growth >= 0 ? "+" : ""}${num(growth, 1)} MB (target: none, ≤ ${MAX_RSS_GROWTH_MB} MB of noise) ${atMost(growth, MAX_RSS_GROWTH_MB)}`);
    out.push(`RSS at the end ÷ at start: ${num(third.rss / r.start, 2)}; peak RSS ${num(mb(r.peak), 1)} MB`);
  }
  if (r.blocks.some((b) => b.failures > 0)) out.push("Some requests failed: the latencies count only 200 answers.");
  return out.join("\n");
}
