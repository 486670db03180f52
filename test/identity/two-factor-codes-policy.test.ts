import { expect } from "chai";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../../src/shared/config.js";
import { resolveDataKey, seal, unseal } from "../../src/shared/sealing.js";
import { databaseRows } from "../support/database.js";
import { browser } from "../support/http.js";
import { SmtpSink } from "../support/smtp-sink.js";
import { DEMO_PASSWORD, startTestApp, type TestApp } from "../support/test-app.js";
import { answered, codeAt, enrolTotp, passwordStep, recoveryCodesOn, secondStep } from "./two-factor-helpers.js";
import { auditRows } from "../support/audit.js";
import { count } from "../support/rows.js";
import { mailText } from "../support/mail.js";
import { postForm } from "../support/forms.js";
import { userRow } from "../support/users.js";
import { signInOk } from "../support/sign-in.js";

describe("two-step sign-in: recovery codes", () => {
  let t: TestApp;
  let sink: SmtpSink;
  beforeEach(async () => {
    sink = await new SmtpSink().start();
    t = await startTestApp({}, sink);
  });
  afterEach(async () => {
    await t.close();
    await sink.stop();
  });

  const mailsTo = (address: string) => Promise.all(sink.received.filter((m) => m.to.includes(address)).map((m) => mailText(m.raw)));

  it("gives ten distinct codes of at least 64 bits, stored only as hashes", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const { recoveryCodes } = await enrolTotp(t, agent);
    expect(new Set(recoveryCodes).size).to.equal(10);
    // 16 symbols of a 31-letter alphabet: 16 × log2(31) ≈ 79 bits.
    for (const code of recoveryCodes) expect(code).to.match(/^[2-9a-hjkmnp-z]{4}(-[2-9a-hjkmnp-z]{4}){3}$/);
    for (const code of recoveryCodes.slice(0, 3)) {
      expect(await t.leaks(code)).to.equal(false);
      expect(await t.leaks(code.replace(/-/g, ""))).to.equal(false);
    }
    expect(await count(t, "recovery_codes", { user_id: Number((await userRow(t, "carol")).id) })).to.equal(10);
  });

  it("signs in once with a recovery code, mails a notice with the codes left, and refuses the same code again", async () => {
    const enrolling = browser(t.app);
    await signInOk(enrolling, "carol", DEMO_PASSWORD);
    const { recoveryCodes } = await enrolTotp(t, enrolling);
    const [code] = recoveryCodes;

    const agent = browser(t.app);
    await passwordStep(agent, "carol", DEMO_PASSWORD);
    // Typed in capitals with spaces in place of hyphens: still the code.
    await answered(secondStep(agent, code!.toUpperCase().replace(/-/g, " ")), 303, "/");
    const home = await agent.get("/").expect(200);
    expect(home.text).to.include("You signed in with a recovery code; it cannot be used again.");
    expect((await auditRows(t, "second_factor.recovery_code_used")).map((r) => r.details)).to.deep.equal([{ remaining: 9 }]);

    await t.deliverMail();
    const notices = (await mailsTo("carol@acme.example")).filter((text) => text.includes("A recovery code was used"));
    expect(notices).to.have.length(1);
    expect(notices[0]).to.include("9 unused recovery codes are left").and.not.include(code!);

    const again = browser(t.app);
    await passwordStep(again, "carol", DEMO_PASSWORD);
    const before = await count(t, "recovery_codes", { used_at: null });
    const refused = await answered(secondStep(again, code!), 401);
    expect(refused.text).to.include("That code is not right, or it was already used.");
    expect(await count(t, "recovery_codes", { used_at: null })).to.equal(before);
    await again.get("/").expect(303).expect("location", "/login/second-factor");
    expect(JSON.stringify(await t.db("audit_log").select("details"))).to.not.include(code!.replace(/-/g, "")).and.not.include(code!);
  });

  it("regenerates the codes: shown once, the old ones stop working, and the holder is told", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "carol", DEMO_PASSWORD);
    const { recoveryCodes: old, secret } = await enrolTotp(t, agent);
    const page = await answered(postForm(agent, "/account/two-factor/recovery-codes", { recovery: codeAt(t, secret) }, "/account/two-factor"), 200);
    expect(page.headers["cache-control"]).to.equal("no-store");
    const fresh = recoveryCodesOn(page.text);
    expect(fresh).to.have.length(10);
    expect(fresh.filter((c) => old.includes(c))).to.deep.equal([]);
    expect((await auditRows(t, "second_factor.recovery_codes_regenerated")).map((r) => r.details)).to.deep.equal([{ recoveryCodes: 10, provedWith: "totp" }]);

    const withOld = browser(t.app);
    await passwordStep(withOld, "carol", DEMO_PASSWORD);
    await answered(secondStep(withOld, old[0]!), 401);
    await answered(secondStep(withOld, fresh[0]!), 303, "/");

    await t.deliverMail();
    expect((await mailsTo("carol@acme.example")).some((text) => text.includes("New recovery codes were made"))).to.equal(true);
  });

  it("refuses to make recovery codes for a login without a factor, and changes nothing", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "dave", DEMO_PASSWORD);
    const before = await databaseRows(t.db, ["sessions"]);
    const refused = await answered(postForm(agent, "/account/two-factor/recovery-codes", { recovery: "123456" }, "/account/two-factor"), 400);
    expect(refused.text).to.include("Recovery codes come with a second factor: set up an authenticator app or a passkey first.");
    expect(await databaseRows(t.db, ["sessions"])).to.deep.equal(before);
  });
});

describe("two-step sign-in: policy (STAFF_SECOND_FACTOR, CUSTOMER_SECOND_FACTOR)", () => {
  let t: TestApp;
  afterEach(() => t.close());

  const GATED = ["/", "/desk", "/desk/tickets/1", "/admin/accounts", "/account", "/account/password", "/account/notifications"];

  it("sends staff without a factor under `required` to enrolment only, until they have one", async () => {
    t = await startTestApp({ STAFF_SECOND_FACTOR: "required" });
    const agent = browser(t.app);
    await signInOk(agent, "admin", DEMO_PASSWORD);
    for (const path of GATED) {
      const res = await agent.get(path);
      expect(res.status, path).to.equal(303);
      expect(res.headers.location, path).to.equal("/account/two-factor");
    }
    const page = await agent.get("/account/two-factor").expect(200);
    expect(page.text).to.include("Your login must have two-step sign-in.");

    // A form elsewhere, with a valid token, is turned back and does nothing.
    const before = await databaseRows(t.db, ["sessions", "audit_log"]);
    const post = await postForm(agent, "/admin/accounts", { code: "ZZZ", name: "Sneaky Ltd" }, "/account/two-factor");
    expect(post.status).to.equal(303);
    expect(post.headers.location).to.equal("/account/two-factor");
    expect(await databaseRows(t.db, ["sessions", "audit_log"])).to.deep.equal(before);

    await enrolTotp(t, agent);
    await agent.get("/desk").expect(200);

    // Customers stay optional: carol signs in with her password alone.
    const carol = browser(t.app);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    await carol.get("/").expect(200);
  });

  it("turns the enrolment gate on again when a staff login removes its only factor under `required`", async () => {
    t = await startTestApp({ STAFF_SECOND_FACTOR: "required" });
    const agent = browser(t.app);
    await signInOk(agent, "alice", DEMO_PASSWORD);
    const { secret } = await enrolTotp(t, agent);
    await answered(postForm(agent, "/account/two-factor/totp/remove", { code: codeAt(t, secret) }, "/account/two-factor"), 303, "/account/two-factor");
    await agent.get("/desk").expect(303).expect("location", "/account/two-factor");
  });

  it("applies CUSTOMER_SECOND_FACTOR=required to customers, and leaves staff alone under `optional`", async () => {
    t = await startTestApp({ CUSTOMER_SECOND_FACTOR: "required", STAFF_SECOND_FACTOR: "optional" });
    const carol = browser(t.app);
    await signInOk(carol, "carol", DEMO_PASSWORD);
    await carol.get("/tickets").expect(303).expect("location", "/account/two-factor");
    const alice = browser(t.app);
    await signInOk(alice, "alice", DEMO_PASSWORD);
    await alice.get("/desk").expect(200);
  });

  it("defaults to `required` for staff in production and `optional` elsewhere; customers `optional`", () => {
    const production = loadConfig({ NODE_ENV: "production", BASE_URL: "https://desk.example.com", TRUST_PROXY: "loopback", SESSION_SECRET: "x".repeat(32) });
    expect(production.secondFactor).to.deep.equal({ staff: "required", customer: "optional" });
    expect(loadConfig({}).secondFactor).to.deep.equal({ staff: "optional", customer: "optional" });
    expect(loadConfig({ NODE_ENV: "test" }).secondFactor).to.deep.equal({ staff: "optional", customer: "optional" });
  });

  it("names a bad policy value in a one-line configuration error", () => {
    for (const name of ["STAFF_SECOND_FACTOR", "CUSTOMER_SECOND_FACTOR"]) {
      expect(() => loadConfig({ [name]: "sometimes" })).to.throw(ConfigError, `Invalid configuration: ${name} must be required or optional (got "sometimes")`);
    }
  });
});

describe("the data key (DATA_KEY, var/data-key)", () => {
  let varDir: string;
  beforeEach(() => {
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-data-key-"));
  });
  afterEach(() => rmSync(varDir, { recursive: true, force: true }));

  it("refuses a DATA_KEY that is not 32 bytes of hex or base64, naming it and never echoing the value", () => {
    for (const bad of ["too-short", "a".repeat(63), Buffer.alloc(31).toString("base64"), Buffer.alloc(33).toString("hex"), "!".repeat(44)]) {
      let err: unknown;
      try {
        loadConfig({ DATA_KEY: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).to.be.instanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).to.match(/^Invalid configuration: DATA_KEY must be 32 random bytes/).and.not.include(bad);
    }
  });

  it("refuses a DATA_KEY of one byte repeated (64 zeros, a placeholder), never echoing it", () => {
    for (const bad of ["0".repeat(64), Buffer.alloc(32).toString("base64"), "f".repeat(64), Buffer.alloc(32, 7).toString("base64url")]) {
      expect(() => loadConfig({ DATA_KEY: bad }), bad)
        .to.throw(ConfigError, /^Invalid configuration: DATA_KEY is one byte repeated \(a placeholder, not a key\)/)
        .with.property("message")
        .that.does.not.include(bad);
    }
  });

  it("warns (and still starts) when var/data-key can be read by group or others; a private file gives no warning", () => {
    const config = loadConfig({ VAR_DIR: varDir });
    const file = path.join(varDir, "data-key");
    const warnings: string[] = [];
    const key = resolveDataKey(config, (m) => warnings.push(m)).key;
    expect(warnings).to.deep.equal([]);
    chmodSync(file, 0o644);
    expect(resolveDataKey(config, (m) => warnings.push(m)).key.equals(key)).to.equal(true);
    expect(warnings).to.deep.equal([`The data key file ${file} can be read by other users of this machine: make it private (chmod 600), or set DATA_KEY`]);
    expect(warnings.join()).to.not.include(key.toString("base64"));
  });

  it("takes 32 bytes as hex or base64 (standard or URL-safe)", () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 250));
    for (const text of [key.toString("hex"), key.toString("base64"), key.toString("base64url")]) {
      expect(resolveDataKey(loadConfig({ DATA_KEY: text, VAR_DIR: varDir })).key.equals(key), text).to.equal(true);
    }
    expect(existsSync(path.join(varDir, "data-key"))).to.equal(false);
  });

  it("generates a key into VAR_DIR/data-key (mode 0600) at the first start and reuses it", () => {
    const config = loadConfig({ VAR_DIR: varDir });
    const first = resolveDataKey(config);
    const file = path.join(varDir, "data-key");
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(Buffer.from(readFileSync(file, "utf8").trim(), "base64").equals(first.key)).to.equal(true);
    expect(resolveDataKey(config).key.equals(first.key)).to.equal(true);
  });

  it("stops the start with the file named when var/data-key holds no key", () => {
    writeFileSync(path.join(varDir, "data-key"), "not a key\n");
    expect(() => resolveDataKey(loadConfig({ VAR_DIR: varDir }))).to.throw(ConfigError, path.join(varDir, "data-key"));
  });

  it("seals so that another key, another context or a changed byte does not open it", () => {
    const key = resolveDataKey(loadConfig({ VAR_DIR: varDir }));
    const other = resolveDataKey(loadConfig({ DATA_KEY: "0123456789abcdef".repeat(4) }));
    const sealed = seal(key, "JBSWY3DPEHPK3PXP", "totp:user:7");
    expect(sealed).to.not.include("JBSWY3DPEHPK3PXP");
    expect(unseal(key, sealed, "totp:user:7")).to.equal("JBSWY3DPEHPK3PXP");
    expect(() => unseal(other, sealed, "totp:user:7")).to.throw();
    expect(() => unseal(key, sealed, "totp:user:8")).to.throw();
    const body = sealed.split(":");
    body[3] = Buffer.from(Buffer.from(body[3]!, "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64");
    expect(() => unseal(key, body.join(":"), "totp:user:7")).to.throw();
  });
});
