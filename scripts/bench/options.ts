/** The DESIGN §9 figures the bench can measure, one suite each. */
export const SUITES = ["queue", "mail", "healthz", "memory"] as const;
export type Suite = (typeof SUITES)[number];

/** The database the servers run on: the cached SQLite files, or PostgreSQL through scripts/with-postgres.sh. */
export type BenchDb = "sqlite" | "pg";

/** What `npm run bench -- …` accepts. */
export interface BenchOptions {
  /** Which suites to run, in SUITES order. */
  suites: Suite[];
  db: BenchDb;
  /** Ticket counts to run at, smallest first. */
  tickets: number[];
  /** Seconds of measurement per page (the queue suite's are split over its rounds). */
  duration: number;
  /** Interleaved rounds (queue suite): every page measured once per round, A B C … A B C …. */
  rounds: number;
  /** Seconds of unrecorded load per page before measuring. */
  warmup: number;
  connections: number;
  /** Rebuild the seeded databases even when var/bench/ has them. */
  fresh: boolean;
  /** Mails per kind through the outbox (mail suite). */
  mails: number;
  /** Requests in all, sent in three equal blocks (memory suite). */
  requests: number;
}

export const USAGE = `Usage: npm run bench [-- options]
  --suite <name>[,<name>…]  what to measure (default queue; all runs every suite):
                              queue    the desk's pages against a bare page and a bare-stack page
                              mail     encrypted reset mails through the outbox to a local SMTP server, against plain ones
                              healthz  /healthz latency while 50 clients sign in, against idle
                              memory   server RSS over three equal blocks of requests as an agent
  --db sqlite|pg            the servers' database (default sqlite, cached in var/bench/); pg seeds afresh
                            in the cluster of DATABASE_URL: scripts/with-postgres.sh npm run bench -- --db pg
  --tickets <n>[,<n>…]      ticket counts to measure the queue at (default 100000; 10k and 1m also work)
  --duration <s>            seconds of load per page or phase (default 10; the queue suite splits it over its rounds)
  --rounds <n>              queue suite: interleaved rounds, every page once per round (default 5)
  --warmup <s>              seconds of unrecorded load first (default 2)
  --connections <n>         concurrent connections (default 10)
  --mails <n>               mails of each kind, mail suite (default 1000)
  --requests <n>            requests in all, memory suite (default 150000, a multiple of 3)
  --fresh                   rebuild the cached databases in var/bench/`;

export class OptionsError extends Error {}

function count(text: string, what: string, max: number): number {
  const match = /^(\d+)(k|m)?$/i.exec(text.trim());
  const n = match ? Number(match[1]) * (match[2] ? (match[2].toLowerCase() === "k" ? 1_000 : 1_000_000) : 1) : NaN;
  if (!(n >= 1 && n <= max)) throw new OptionsError(`${what} must be a whole number from 1 to ${max} (got "${text}")`);
  return n;
}

function suites(text: string): Suite[] {
  const names = text.split(",").map((s) => s.trim().toLowerCase());
  if (names.includes("all")) return [...SUITES];
  const unknown = names.filter((n) => !(SUITES as readonly string[]).includes(n));
  if (unknown.length) throw new OptionsError(`--suite takes ${SUITES.join(", ")} or all (got "${text}")`);
  return SUITES.filter((s) => names.includes(s));
}

export function parseOptions(argv: string[]): BenchOptions | "help" {
  const options: BenchOptions = { suites: ["queue"], db: "sqlite", tickets: [100_000], duration: 10, rounds: 5, warmup: 2, connections: 10, fresh: false, mails: 1_000, requests: 150_000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new OptionsError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        return "help";
      case "--tickets":
        options.tickets = [...new Set(value().split(",").map((t) => count(t, "--tickets", 10_000_000)))].sort((a, b) => a - b);
        break;
      case "--duration":
        options.duration = count(value(), "--duration", 600);
        break;
      case "--rounds":
        options.rounds = count(value(), "--rounds", 50);
        break;
      case "--warmup": {
        const v = value();
        options.warmup = v === "0" ? 0 : count(v, "--warmup", 60);
        break;
      }
      case "--connections":
        options.connections = count(value(), "--connections", 1_000);
        break;
      case "--suite":
        options.suites = suites(value());
        break;
      case "--mails":
        options.mails = count(value(), "--mails", 100_000);
        break;
      case "--requests":
        options.requests = count(value(), "--requests", 30_000_000);
        if (options.requests % 3) throw new OptionsError(`--requests must be a multiple of 3 (three equal blocks; got ${options.requests})`);
        break;
      case "--db": {
        const v = value().toLowerCase();
        if (v !== "sqlite" && v !== "pg") throw new OptionsError(`--db takes sqlite or pg (got "${v}")`);
        if (v === "pg" && !/^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? "")) throw new OptionsError("--db pg needs DATABASE_URL=postgres://…: run the bench through scripts/with-postgres.sh");
        options.db = v;
        break;
      }
      case "--fresh":
        options.fresh = true;
        break;
      default:
        throw new OptionsError(`unknown option "${argv[i]}"\n${USAGE}`);
    }
  }
  return options;
}
