/**
 * `npm run bench`: the agent queue (`GET /desk`) against a bare Express page rendering the
 * same layout, in the same server process and run, on SQLite databases seeded with
 * `--tickets` tickets (DESIGN §9). Loopback only; bounded; exits by itself.
 */
import { cpus } from "node:os";
import { copyForRun, seededDatabase, BENCH_PASSWORD } from "./bench/database.js";
import { measure, probe, signIn } from "./bench/load.js";
import { OptionsError, parseOptions, USAGE, type BenchOptions } from "./bench/options.js";
import { formatReport, type SizeResult } from "./bench/report.js";
import { startServer } from "./bench/server-process.js";

const log = (line: string) => process.stderr.write(`· ${line}\n`);

async function runSize(tickets: number, options: BenchOptions): Promise<SizeResult> {
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

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(
    `Vouchdesk bench: GET /desk as agent vs a bare page with the same layout; SQLite; ${options.connections} connections, ${options.duration} s each (after ${options.warmup} s warm-up)\n` +
      `node ${process.version}, ${cpus().length} × ${cpu}\n\n`,
  );
  const results: SizeResult[] = [];
  for (const tickets of options.tickets) {
    log(`${tickets.toLocaleString("en")} tickets`);
    results.push(await runSize(tickets, options));
  }
  process.stdout.write(formatReport(results) + "\n");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(err instanceof OptionsError ? `${err.message}\n` : `bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(err instanceof OptionsError ? 2 : 1);
  },
);
