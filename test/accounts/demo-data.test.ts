import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { openDatabase } from "../../src/shared/db.js";
import { projectRoot } from "../../src/shared/paths.js";
import { databaseContains, freshDatabase, type TestDatabase } from "../support/database.js";
import { csrfFrom } from "../support/forms.js";
import { freePort } from "../support/postgres-cluster.js";
import { waitFor } from "../support/wait.js";

const PASSWORD = "Known-Demo-Pw-4711!";

/** Starts the real server entry and resolves once it listens, with everything it printed. */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main/server.ts"], { cwd: projectRoot, env: { ...process.env, ...env } });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    child.stdout.on("data", () => {
      if (output.includes("Vouchdesk is listening")) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** Signs in over real HTTP like a browser: cookie from the form page, then the POST. */
async function signInOverHttp(base: string, username: string, password: string): Promise<number> {
  const page = await fetch(`${base}/login`);
  const cookie = page.headers.getSetCookie()[0]!.split(";")[0]!;
  const body = new URLSearchParams({ _csrf: csrfFrom(await page.text()), username, password });
  const res = await fetch(`${base}/login`, { method: "POST", body, headers: { cookie }, redirect: "manual" });
  return res.status;
}

/** A real server on a fresh database and VAR_DIR for one describe: started before its tests, stopped and removed after. */
function useFreshServer(env: Record<string, string>) {
  const ctx = {} as { database: TestDatabase; server: { child: ChildProcess; output: () => string }; port: number };
  const varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-var-"));
  before(async () => {
    ctx.database = await freshDatabase();
    ctx.port = await freePort();
    ctx.server = await startServer({ DATABASE_URL: ctx.database.url, VAR_DIR: varDir, PORT: String(ctx.port), NODE_ENV: "development", ...env });
  });
  after(async () => {
    ctx.server?.child.kill("SIGTERM");
    await new Promise((r) => ctx.server?.child.once("exit", r));
    await ctx.database?.drop();
    rmSync(varDir, { recursive: true, force: true });
  });
  return ctx;
}

describe("demo data through the real server", () => {
  const ctx = useFreshServer({ DEMO_PASSWORD: PASSWORD, LOG_LEVEL: "debug" });

  it("loads the demo logins, which sign in with DEMO_PASSWORD", async () => {
    for (const username of ["admin", "alice", "bob", "ACM0001", "carol", "dave", "NWL0001", "erin"]) {
      expect(await signInOverHttp(`http://127.0.0.1:${ctx.port}`, username, PASSWORD), username).to.equal(303);
    }
    expect(await signInOverHttp(`http://127.0.0.1:${ctx.port}`, "carol", "wrong-password")).to.equal(401);
  });

  it("records the demo account as DESIGN §7 describes", async () => {
    const db = openDatabase(ctx.database.url);
    try {
      const users = (await db("users").orderBy("id").select("username", "role", "email", "can_open_cases", "account_id")) as Record<string, unknown>[];
      expect(users.map((u) => `${u.username as string}:${u.role as string}`)).to.deep.equal([
        "admin:admin", "alice:agent", "bob:agent", "ACM0001:primary", "carol:secondary", "dave:secondary", "NWL0001:primary", "erin:secondary",
      ]);
      expect(users.find((u) => u.username === "ACM0001")!.email).to.equal("primary@acme.example");
      expect(Boolean(users.find((u) => u.username === "carol")!.can_open_cases)).to.equal(true);
      expect(Boolean(users.find((u) => u.username === "dave")!.can_open_cases)).to.equal(false);
      const contacts = (await db("contacts").select("kind", "phone", "authorised_for_support")) as Record<string, unknown>[];
      expect(contacts.map((c) => c.kind).sort()).to.deep.equal(["primary", "primary", "secondary", "secondary"]);
      expect(contacts.every((c) => typeof c.phone === "string" && c.phone.startsWith("+"))).to.equal(true);
    } finally {
      await db.destroy();
    }
  });

  it("opens a handful of ordinary tickets across two accounts, so the queue is not empty", async () => {
    const db = openDatabase(ctx.database.url);
    try {
      const tickets = (await db("tickets").join("accounts", "accounts.id", "tickets.account_id").orderBy("tickets.id").select("accounts.code", "tickets.type")) as { code: string; type: string }[];
      expect(tickets.map((t) => t.code)).to.deep.equal(["ACM", "ACM", "ACM", "NWL", "NWL", "NWL"]);
      expect(tickets.some((t) => t.type === "primary_reset")).to.equal(false);
    } finally {
      await db.destroy();
    }
  });

  it("never writes DEMO_PASSWORD to the database or the logs", async () => {
    const db = openDatabase(ctx.database.url);
    try {
      expect(await databaseContains(db, ctx.database.files, PASSWORD)).to.equal(false);
    } finally {
      await db.destroy();
    }
    expect(ctx.server.output()).to.include("demo data loaded");
    expect(ctx.server.output()).not.to.include(PASSWORD);
  });
});

describe("demo passwords on a first start without DEMO_PASSWORD", () => {
  const ctx = useFreshServer({ LOG_LEVEL: "info" });
  before(() => waitFor("the demo logins block", () => /Demo logins[^\n]*\n(.*\n){8}/.test(ctx.server.output())));

  it("prints them once, as a block after 'listening' and outside every log line, and each one signs in", async () => {
    const output = ctx.server.output();
    const block = output.slice(output.indexOf("Demo logins"));
    expect(output.indexOf("Vouchdesk is listening"), "listening comes first").to.be.lessThan(output.indexOf("Demo logins"));
    const rows = [...block.matchAll(/^ {4}(\S+)\s+(admin|agent|primary|secondary)\s+(\S+)$/gm)].map((m) => ({ username: m[1]!, password: m[3]! }));
    expect(rows.map((r) => r.username)).to.deep.equal(["admin", "alice", "bob", "ACM0001", "carol", "dave", "NWL0001", "erin"]);
    for (const { username, password } of rows) {
      expect(await signInOverHttp(`http://127.0.0.1:${ctx.port}`, username, password), username).to.equal(303);
      const logLines = ctx.server.output().split("\n").filter((line) => line.startsWith("{"));
      expect(logLines.filter((line) => line.includes(password)), `${username}'s password in a log line`).to.deep.equal([]);
      expect(ctx.server.output().split(password).length - 1, `${username}'s password printed once`).to.equal(1);
    }
  });
});
