/**
 * `npm run bench`: the figures of DESIGN §9, each suite against a baseline measured in the
 * same run (see --help): the desk's pages against a bare page and a bare-stack page, encrypted mail through the
 * outbox against plain, /healthz under sign-in load against idle, and the server's memory
 * over three blocks of requests against its start. Loopback only; bounded; exits by itself.
 */
import { cpus } from "node:os";
import { healthzSuite } from "./bench/healthz-suite.js";
import { mailSuite } from "./bench/mail-suite.js";
import { memorySuite } from "./bench/memory-suite.js";
import { OptionsError, parseOptions, USAGE, type BenchOptions, type Suite } from "./bench/options.js";
import { queueSuite } from "./bench/queue-suite.js";

const log = (line: string) => process.stderr.write(`· ${line}\n`);

const SUITE_RUNS: Record<Suite, (options: BenchOptions, log: (line: string) => void) => Promise<string>> = {
  queue: queueSuite,
  mail: mailSuite,
  healthz: healthzSuite,
  memory: memorySuite,
};

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(`Vouchdesk bench: node ${process.version}, ${cpus().length} × ${cpu}\n`);
  process.stdout.write("Every server measured is compiled with tsc (var/bench/dist, once per run) and run with plain node, NODE_ENV=production, as npm start runs it.\n");
  for (const suite of options.suites) {
    log(`suite ${suite}`);
    process.stdout.write(`\n[${suite}] ${await SUITE_RUNS[suite](options, log)}\n`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(err instanceof OptionsError ? `${err.message}\n` : `bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(err instanceof OptionsError ? 2 : 1);
  },
);
