import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import autocannon, { type Request } from "autocannon";

/** Every request looks like it came through the production TLS proxy (the session cookie is Secure). */
const PROXY = { "x-forwarded-proto": "https" };

const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");

/** Signs in through the real form (CSRF token from the page, session cookie) and returns the signed-in cookie. */
export async function signIn(base: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`, { headers: PROXY });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error(`no CSRF token on ${base}/login (status ${page.status})`);
  const body = new URLSearchParams({ _csrf: csrf, username, password });
  const res = await fetch(`${base}/login`, { method: "POST", body, headers: { ...PROXY, cookie: cookieOf(page) }, redirect: "manual" });
  const cookie = cookieOf(res);
  if (res.status !== 303 || !cookie) throw new Error(`sign-in as ${username} failed with status ${res.status}`);
  return cookie;
}

/** One GET, to check the page answers 200 before loading it; returns the page and its size in bytes. */
export async function probe(url: string, cookie?: string): Promise<{ body: string; bytes: number }> {
  const res = await fetch(url, { headers: { ...PROXY, ...(cookie ? { cookie } : {}) }, redirect: "manual" });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}, not 200: ${body.slice(0, 300)}`);
  return { body, bytes: Buffer.byteLength(body) };
}

export interface Measurement {
  /** 2xx responses per second. */
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Non-2xx answers, connection errors and time-outs. */
  failures: number;
  /** CPU time (user + system) the server process spent per 2xx answer, in ms; NaN when no `serverPid` was given. */
  cpuMsPerRequest: number;
  /** CPU time the database's own processes spent per 2xx answer (PostgreSQL), in ms; NaN without `dbCpuMs`. */
  dbCpuMsPerRequest: number;
}

/** Clock ticks per second of /proc/<pid>/stat's times (100 on Linux, asked once). */
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/**
 * CPU time a process has used so far, user + system, in ms, from /proc/<pid>/stat: the figure
 * that holds on a shared machine, where req/s moves with whatever else runs.
 */
export function cpuMsOf(pid: number, withReapedChildren = false): number {
  const fields = statFields(pid);
  // utime, stime; then cutime, cstime: the children it has waited for (a server's exited backends).
  const ticks = Number(fields[11]) + Number(fields[12]) + (withReapedChildren ? Number(fields[13]) + Number(fields[14]) : 0);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** /proc/<pid>/stat's fields after the command name (which may hold spaces): [0] is field 3 (state), [1] the parent's id. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

export const parentOf = (pid: number) => Number(statFields(pid)[1]);

/**
 * CPU time a server of processes has used so far (PostgreSQL's postmaster, its live children —
 * backends, autovacuum, WAL writer — and the children it has reaped), in ms.
 */
export function processTreeCpuMs(root: number): number {
  let total = cpuMsOf(root, true);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (parentOf(Number(entry)) === root) total += cpuMsOf(Number(entry));
    } catch {
      // The process ended between the listing and the read: its time is in the root's reaped children now.
    }
  }
  return total;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

export interface LoadOptions {
  cookie?: string;
  connections: number;
  /** Seconds of load; or, with `amount`, that many requests in all. */
  duration?: number;
  amount?: number;
  /** A sequence of requests (paths under `url`) each connection cycles through; else GET `url`. */
  requests?: Request[];
  /** The server's process id, for its CPU time per request. */
  serverPid?: number;
  /** The database's processes' CPU time so far, in ms (RunDatabase.cpuMs), for theirs per request. */
  dbCpuMs?: () => number;
}

/** Loads `url` with autocannon; latencies of the 2xx answers, in ms. */
export async function measure(url: string, opts: LoadOptions): Promise<Measurement> {
  const latencies: number[] = [];
  const cpuBefore = opts.serverPid ? cpuMsOf(opts.serverPid) : NaN;
  const dbCpuBefore = opts.dbCpuMs?.() ?? NaN;
  const run = autocannon({
    url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration }),
    ...(opts.requests ? { requests: opts.requests } : {}),
    timeout: 10,
    headers: { ...PROXY, ...(opts.cookie ? { cookie: opts.cookie } : {}) },
  });
  run.on("response", (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await run;
  const cpuMs = opts.serverPid ? cpuMsOf(opts.serverPid) - cpuBefore : NaN;
  const dbCpuMs = (opts.dbCpuMs?.() ?? NaN) - dbCpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    rps: result["2xx"] / result.duration,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    failures: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: cpuMs / result["2xx"],
    dbCpuMsPerRequest: dbCpuMs / result["2xx"],
  };
}

export interface SignInLoad {
  /** Stops the clients after their sign-in in hand; resolves with the totals since start. */
  stop(): Promise<{ signIns: number; failures: number }>;
  /** Sign-ins completed so far. */
  readonly signIns: number;
}

/**
 * `clients` clients that sign in one after another through the real form, each time from the
 * start (a sign-in regenerates the session, so a CSRF token and cookie serve once), until stopped.
 */
export function signInLoad(base: string, username: string, password: string, clients: number): SignInLoad {
  let stopped = false;
  const totals = { signIns: 0, failures: 0 };
  const client = async () => {
    while (!stopped) {
      try {
        await signIn(base, username, password);
        totals.signIns += 1;
      } catch {
        totals.failures += 1;
      }
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  return {
    get signIns() {
      return totals.signIns;
    },
    async stop() {
      stopped = true;
      await running;
      return { ...totals };
    },
  };
}
