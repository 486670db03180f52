/**
 * How long `POST /login` takes for an existing login with a wrong password against an unknown
 * username (issue 10 §4: the two must cost the same, or the time tells which usernames exist).
 * The whole app in this process on a fresh SQLite database with the demo data; the two kinds
 * interleaved (A B A B …) after a warm-up, so the machine's load falls on both alike.
 *
 *   npx tsx scripts/sign-in-timing.ts [tries per kind, default 200]
 */
import { performance } from "node:perf_hooks";
import { csrfToken } from "../test/support/forms.js";
import { browser, type Agent } from "../test/support/http.js";
import { buildTestApp } from "../test/support/test-app.js";

// Wrong passwords are spread over the demo logins so that none reaches LOGIN_MAX_FAILURES:
// a locked login takes another path, which is not the one measured here.
const EXISTING = ["carol", "dave", "ACM0001", "alice", "bob", "admin"];
const WARM_UP = 10;

const tries = Number(process.argv[2] ?? 200);
if (!Number.isInteger(tries) || tries < 1) throw new Error("the number of tries must be a whole number of at least 1");

const t = await buildTestApp({ env: { LOGIN_IP_LIMIT: "100000", LOGIN_MAX_FAILURES: "100", LOG_LEVEL: "silent" } });

async function timedSignIn(agent: Agent, _csrf: string, username: string): Promise<number> {
  const started = performance.now();
  const res = await agent.post("/login").type("form").send({ _csrf, username, password: "Not-The-Password-1!" });
  const elapsed = performance.now() - started;
  if (res.status !== 401) throw new Error(`${username}: expected 401, got ${res.status}`);
  return elapsed;
}

try {
  const wrongAgent = browser(t.app);
  const unknownAgent = browser(t.app);
  const [wrongCsrf, unknownCsrf] = [await csrfToken(wrongAgent), await csrfToken(unknownAgent)];
  const wrong: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < WARM_UP + tries; i++) {
    const w = await timedSignIn(wrongAgent, wrongCsrf, EXISTING[i % EXISTING.length]!);
    const u = await timedSignIn(unknownAgent, unknownCsrf, `nobody-${i}`);
    if (i >= WARM_UP) {
      wrong.push(w);
      unknown.push(u);
    }
  }
  const differences = wrong.map((w, i) => w - unknown[i]!);
  const row = (label: string, xs: number[]) => `${label.padEnd(34)} ${summary(xs)}`;
  process.stdout.write(
    [
      `POST /login, ${tries} tries of each kind, interleaved, after ${WARM_UP} of each as warm-up (SQLite, node ${process.version})`,
      row("existing login, wrong password", wrong),
      row("unknown username", unknown),
      row("difference of each pair (w − u)", differences),
      "",
    ].join("\n"),
  );
} finally {
  await t.close();
}

function summary(xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  return `median ${ms(at(0.5))}, mean ${ms(mean)}, p10–p90 ${ms(at(0.1))} – ${ms(at(0.9))}`;
}
