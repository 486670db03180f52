/** What `npm run bench -- …` accepts. */
export interface BenchOptions {
  /** Ticket counts to run at, smallest first. */
  tickets: number[];
  /** Seconds of measurement per page. */
  duration: number;
  /** Seconds of unrecorded load per page before measuring. */
  warmup: number;
  connections: number;
  /** Rebuild the seeded databases even when var/bench/ has them. */
  fresh: boolean;
}

export const USAGE = `Usage: npm run bench [-- options]
  --tickets <n>[,<n>…]   ticket counts to measure at (default 100000; 10k and 1m also work)
  --duration <s>         seconds of load per page (default 10)
  --warmup <s>           seconds of unrecorded load per page first (default 2)
  --connections <n>      concurrent connections (default 10)
  --fresh                rebuild the cached databases in var/bench/`;

export class OptionsError extends Error {}

function count(text: string, what: string, max: number): number {
  const match = /^(\d+)(k|m)?$/i.exec(text.trim());
  const n = match ? Number(match[1]) * (match[2] ? (match[2].toLowerCase() === "k" ? 1_000 : 1_000_000) : 1) : NaN;
  if (!(n >= 1 && n <= max)) throw new OptionsError(`${what} must be a whole number from 1 to ${max} (got "${text}")`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions | "help" {
  const options: BenchOptions = { tickets: [100_000], duration: 10, warmup: 2, connections: 10, fresh: false };
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
      case "--warmup": {
        const v = value();
        options.warmup = v === "0" ? 0 : count(v, "--warmup", 60);
        break;
      }
      case "--connections":
        options.connections = count(value(), "--connections", 1_000);
        break;
      case "--fresh":
        options.fresh = true;
        break;
      default:
        throw new OptionsError(`unknown option "${argv[i]}"\n${USAGE}`);
    }
  }
  return options;
}
