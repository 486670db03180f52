import type { Measurement } from "./load.js";

export interface SizeResult {
  tickets: number;
  bare: Measurement & { bytes: number };
  queue: Measurement & { bytes: number };
}

/** Targets from DESIGN §9. */
export const MIN_THROUGHPUT_RATIO = 0.35;
export const MAX_P95_GROWTH = 1.3;

const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "—");
const verdict = (ok: boolean) => (ok ? "ok" : "BELOW TARGET");

/** The results as a plain-text table, then the ratios against their targets. */
export function formatReport(results: SizeResult[]): string {
  const header = ["tickets", "page", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed", "bytes", "queue/bare"];
  const rows: string[][] = [];
  for (const r of results) {
    const ratio = r.queue.rps / r.bare.rps;
    for (const [page, m] of [["bare", r.bare], ["/desk", r.queue]] as const) {
      rows.push([num(r.tickets), page, num(m.rps), num(m.p50, 2), num(m.p95, 2), num(m.p99, 2), num(m.failures), num(m.bytes), page === "/desk" ? num(ratio, 2) : ""]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), ""];

  for (const r of results) {
    const ratio = r.queue.rps / r.bare.rps;
    out.push(`throughput /desk ÷ bare at ${num(r.tickets)} tickets: ${num(ratio, 2)} (target ≥ ${MIN_THROUGHPUT_RATIO}) ${verdict(ratio >= MIN_THROUGHPUT_RATIO)}`);
  }
  if (results.length > 1) {
    const [small, large] = [results[0]!, results[results.length - 1]!];
    const growth = large.queue.p95 / small.queue.p95;
    out.push(`p95 /desk at ${num(large.tickets)} ÷ at ${num(small.tickets)} tickets: ${num(growth, 2)} (target ≤ ${MAX_P95_GROWTH}) ${verdict(growth <= MAX_P95_GROWTH)}`);
  }
  if (results.some((r) => r.queue.failures + r.bare.failures > 0)) out.push("Some requests failed: the figures above count only 200 answers.");
  return out.join("\n");
}
