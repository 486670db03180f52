import { expect } from "chai";
import type { Measurement } from "../../scripts/bench/load.js";
import { formatReport, median, PAGES, perRound, type PageRuns, type SizeResult } from "../../scripts/bench/report.js";

/** Rounds of a page with these CPU ms per request and req/s (the same p95 throughout unless given; no database CPU, as on SQLite). */
function page(name: string, cpu: number[], rps: number[], p95 = 10): PageRuns {
  const rounds: Measurement[] = cpu.map((c, i) => ({ rps: rps[i]!, p50: p95 / 2, p95, p99: p95 * 2, failures: 0, cpuMsPerRequest: c, dbCpuMsPerRequest: NaN }));
  return { page: name, bytes: 1_000, rounds };
}

function size(tickets: number, desk: number[], miss: number[], long: number[], missP95 = 10): SizeResult {
  return {
    tickets,
    pages: [
      page(PAGES.bare, [0.2, 0.2], [2_000, 2_000]),
      page(PAGES.bareStack, [0.5, 0.6], [1_000, 800]),
      page(PAGES.desk, desk, [400, 500]),
      page(PAGES.searchMiss, miss, [300, 300], missP95),
      page(PAGES.longTicket, long, [200, 200]),
    ],
  };
}

const lineOf = (report: string, start: string) => report.split("\n").find((l) => l.startsWith(start)) ?? `(no line starting "${start}")`;

describe("bench: the queue report's arithmetic", () => {
  it("takes the median of an even or odd number of rounds, leaving out what could not be measured", () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(median([NaN, 5])).to.equal(5);
    expect(median([])).to.be.NaN;
  });

  it("pairs each round of a page with the same round of its baseline", () => {
    const ratios = perRound(page("a", [1, 3], [0, 0]), page("b", [0.5, 1], [0, 0]), (m) => m.cpuMsPerRequest);
    expect(ratios).to.deep.equal([2, 3]);
  });

  it("reports each ratio per round as median (min–max) against its target, ok or MISSED", () => {
    const report = formatReport([size(100_000, [1.0, 1.8], [1, 1], [1.5, 2.7])]);
    expect(lineOf(report, "/desk CPU per request at 100,000")).to.equal("/desk CPU per request at 100,000 tickets: 1.40 (1.00–1.80) ms (target ≤ 1.5 ms) ok");
    // Round 1: 1.0 ÷ 0.5 = 2; round 2: 1.8 ÷ 0.6 = 3. Not the ratio of the medians (1.4 ÷ 0.55 = 2.55).
    expect(lineOf(report, "/desk CPU ÷ bare stack")).to.equal("/desk CPU ÷ bare stack at 100,000 tickets: 2.50 (2.00–3.00) (target ≤ 2.5) ok");
    expect(lineOf(report, "/desk req/s ÷ bare stack")).to.equal("/desk req/s ÷ bare stack at 100,000 tickets: 0.51 (0.40–0.63) (target ≥ 0.5) ok");
    expect(lineOf(report, "ticket, 200 events CPU ÷ /desk")).to.equal("ticket, 200 events CPU ÷ /desk CPU at 100,000 tickets: 1.50 (1.50–1.50) (target ≤ 1.3) MISSED");
  });

  it("says at which size DESIGN sets the /desk targets when it measured another, and MISSES a figure over the ceiling", () => {
    const report = formatReport([size(10_000, [1.6, 1.8], [1, 1], [1, 1])]);
    expect(lineOf(report, "/desk CPU per request")).to.equal("/desk CPU per request at 10,000 tickets: 1.70 (1.60–1.80) ms (target ≤ 1.5 ms (DESIGN §9 sets it at 100,000)) MISSED");
  });

  it("compares CPU per request and search p95 at the largest size with the smallest", () => {
    const report = formatReport([size(10_000, [1.0, 1.8], [1, 1], [1, 1], 10), size(1_000_000, [1.2, 1.6], [2, 2], [1, 1], 16)]);
    expect(lineOf(report, "CPU per request /desk")).to.equal("CPU per request /desk at 1,000,000 ÷ at 10,000 tickets: 1.00 (1.40 ÷ 1.40 ms; target ≤ 1.15) ok");
    expect(lineOf(report, "CPU per request search miss")).to.equal("CPU per request search miss at 1,000,000 ÷ at 10,000 tickets: 2.00 (2.00 ÷ 1.00 ms; target ≤ 1.15) MISSED");
    expect(lineOf(report, "p95 search miss")).to.equal("p95 search miss at 1,000,000 ÷ at 10,000 tickets: 1.60 (target ≤ 1.5, issue 16) MISSED");
    expect(report, "no growth line for a page measured at one size only").not.to.include("CPU per request filtered view");
    expect(report, "no database column on SQLite").not.to.include("db CPU");
  });

  it("shows the database's CPU per request in a column of its own when it was measured (PostgreSQL), and counts it in the growth", () => {
    const [small, large] = [size(10_000, [1, 1], [1, 1], [1, 1]), size(100_000, [1, 1], [1, 1], [1, 1])];
    for (const [r, db] of [[small, [0.3, 0.5]], [large, [1.6, 2.0]]] as const) for (const p of r.pages) for (const [i, m] of p.rounds.entries()) m.dbCpuMsPerRequest = db[i]!;
    const report = formatReport([small, large]);
    const [header, , firstRow] = report.split("\n");
    expect(header).to.match(/CPU ms\/req +db CPU ms\/req +req\/s/);
    expect(firstRow).to.include("0.40 (0.30–0.50)");
    // (1 + 1.8) ÷ (1 + 0.4): the server's CPU did not grow, the database's did.
    expect(lineOf(report, "CPU per request (server + db) /desk")).to.equal("CPU per request (server + db) /desk at 100,000 ÷ at 10,000 tickets: 2.00 (2.80 ÷ 1.40 ms; target ≤ 1.15) MISSED");
  });
});
