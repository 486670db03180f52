/**
 * The src/ files and folders one approval of a primary reset crosses (issue 12, "Done when"):
 * the files in which at least one function ran while the app handled ONE
 * `POST /desk/tickets/:id/approve`, measured with V8's precise coverage. An import closure
 * would overcount (a domain's index.ts pulls the whole domain); this counts what executed.
 *
 * The whole app in this process, built as the tests build it (demo data, SMTP sink). carol
 * files a request, alice records a confirmed callback; then, measured:
 *   - approved: bob, a second confirmed agent, approves (the two-person rule is met);
 *   - refused:  on a second app, alice approves the request she called back on;
 *   - baseline: on a third, bob approves a ticket that does not exist (a 404): the plumbing
 *     every signed-in desk POST crosses (session, CSRF, guards, the ticket lookup).
 * Modules are loaded before the window, so a module's top level (its whole-file range) is
 * not counted; a module loaded during the window is listed apart.
 *
 *   npx tsx scripts/approval-path.ts
 */
import { Session, type Profiler } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Agent } from "../test/support/http.js";
import { callBack, deskPage, openRequest } from "../test/resets/helpers.js";
import { SmtpSink } from "../test/support/smtp-sink.js";
import { startTestApp } from "../test/support/test-app.js";
import { csrfToken } from "../test/support/forms.js";
import { signedIn } from "../test/support/sign-in.js";

const srcDir = path.resolve("src");
const print = (line: string) => process.stdout.write(`${line}\n`);

interface Crossed {
  status: number;
  /** src/ files (relative to the checkout) in which a function ran. */
  files: string[];
  /** src/ files whose module top level ran in the window (loaded during the request). */
  loaded: string[];
}

/** The src/ file a script's URL names, or undefined for node_modules, node: and the rest. */
function srcFileOf(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const file = fileURLToPath(url.split("?")[0]!);
  return file.startsWith(srcDir + path.sep) ? path.relative(path.dirname(srcDir), file) : undefined;
}

/** The whole-file range is the module's top level: it ran when the module was loaded. */
const isTopLevel = (fn: Profiler.FunctionCoverage) => fn.ranges[0]?.startOffset === 0;

/** Runs one request with function call counts on; returns its status and the src/ files that ran. */
async function crossedBy(session: Session, send: () => Promise<{ status: number }>): Promise<Crossed> {
  await session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });
  // Taking coverage resets the counters: only what runs from here on is counted.
  await session.post("Profiler.takePreciseCoverage");
  const res = await send();
  const { result } = await session.post("Profiler.takePreciseCoverage");
  await session.post("Profiler.stopPreciseCoverage");
  const files = new Set<string>();
  const loaded = new Set<string>();
  for (const script of result) {
    const file = srcFileOf(script.url);
    if (!file) continue;
    if (script.functions.some((fn) => !isTopLevel(fn) && fn.ranges[0]!.count > 0)) files.add(file);
    if (script.functions.some((fn) => isTopLevel(fn) && fn.ranges[0]!.count > 0)) loaded.add(file);
  }
  return { status: res.status, files: [...files].sort(), loaded: [...loaded].sort() };
}

/**
 * carol's request with alice's confirmed callback on a fresh app; then `approver` approves it
 * (or, with `missing`, a ticket id past the last one), measured.
 */
async function measureApproval(session: Session, approver: string, missing = false): Promise<Crossed> {
  const sink = await new SmtpSink().start();
  const t = await startTestApp({}, sink);
  try {
    const ticketId = await openRequest(t);
    const alice = await signedIn(t, "alice");
    const called = await callBack(t, alice, ticketId, "confirmed");
    if (called.status !== 303) throw new Error(`the callback was not recorded: ${called.status}`);
    const agent: Agent = approver === "alice" ? alice : await signedIn(t, approver);
    // The form's token is fetched before the window: only the POST is measured.
    const _csrf = await csrfToken(agent, deskPage(ticketId));
    const target = missing ? ticketId + 1000 : ticketId;
    return await crossedBy(session, () => agent.post(`${deskPage(target)}/approve`).type("form").send({ _csrf }));
  } finally {
    await t.close();
    await sink.stop();
  }
}

function report(title: string, crossed: Crossed, expectedStatus: number): void {
  if (crossed.status !== expectedStatus) throw new Error(`${title}: expected ${expectedStatus}, got ${crossed.status}`);
  const byFolder = new Map<string, string[]>();
  for (const file of crossed.files) byFolder.set(path.dirname(file), [...(byFolder.get(path.dirname(file)) ?? []), path.basename(file)]);
  // A top-level part is the first folder under src/; files directly in src/ make one part.
  const parts = new Set(crossed.files.map((file) => file.split(path.sep).slice(1, -1)[0] ?? "(src root)"));
  print(`\n${title} (HTTP ${crossed.status}): ${crossed.files.length} files in ${byFolder.size} folders (${parts.size} top-level parts of src/)`);
  for (const [folder, names] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) print(`  ${folder}/ (${names.length}): ${names.join(", ")}`);
  if (crossed.loaded.length) print(`  loaded during the request: ${crossed.loaded.join(", ")}`);
}

const session = new Session();
session.connect();
await session.post("Profiler.enable");
report("approved by a second agent", await measureApproval(session, "bob"), 303);
report("refused: the agent who called back approves", await measureApproval(session, "alice"), 400);
report("baseline: approving a ticket that does not exist", await measureApproval(session, "bob", true), 404);
await session.post("Profiler.disable");
session.disconnect();
