import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { dataKeyOpensSecrets } from "../../src/identity/index.js";
import { decodeDataKey } from "../../src/shared/config.js";
import { projectRoot } from "../../src/shared/paths.js";
import { browser } from "../support/http.js";
import { signInOk } from "../support/sign-in.js";
import { DEMO_PASSWORD, TEST_DATA_KEY } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";
import { enrolTotp } from "./two-factor-helpers.js";

const OTHER_KEY = randomBytes(32).toString("base64");

describe("the start-up check of the data key against the sealed secrets", () => {
  const t = useTestApp();
  let varDir: string;
  beforeEach(() => {
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-data-key-check-"));
  });
  afterEach(() => rmSync(varDir, { recursive: true, force: true }));

  /** The real server on the test's database with this data key; it must stop by itself before listening. */
  const startServer = (dataKey: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/main/server.ts"], {
      cwd: projectRoot,
      env: { ...process.env, NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: t.config.databaseUrl, DATA_KEY: dataKey, SESSION_SECRET: "s".repeat(40), WORKER: "off", PORT: "1" },
      encoding: "utf8",
      timeout: 20_000,
    });

  it("passes with no sealed secret, and with the key that sealed them; fails with another key", async () => {
    const key = { key: decodeDataKey(TEST_DATA_KEY)! };
    const other = { key: decodeDataKey(OTHER_KEY)! };
    expect(await dataKeyOpensSecrets(t.db, other), "nothing sealed yet: any key will do").to.equal(true);
    const agent = browser(t.app);
    await signInOk(agent, "bob", DEMO_PASSWORD);
    await enrolTotp(t, agent);
    expect(await dataKeyOpensSecrets(t.db, key)).to.equal(true);
    expect(await dataKeyOpensSecrets(t.db, other)).to.equal(false);
  });

  it("refuses to start with another data key: exit code 2, one line naming DATA_KEY and var/data-key, the secret rows untouched", async () => {
    const agent = browser(t.app);
    await signInOk(agent, "bob", DEMO_PASSWORD);
    await enrolTotp(t, agent);
    const before = (await t.db("totp_factors").select("*")) as unknown[];

    const result = startServer(OTHER_KEY);
    expect(result.signal, "the server should exit by itself").to.equal(null);
    expect(result.status, result.stderr).to.equal(2);
    const stderr = result.stderr.trim();
    expect(stderr.split(/\r?\n/), stderr).to.have.length(1);
    expect(stderr).to.match(/^Cannot start: the database holds authenticator secrets sealed with another data key/);
    expect(stderr).to.include("DATA_KEY").and.include("var/data-key").and.not.include(OTHER_KEY);
    expect(await t.db("totp_factors").select("*")).to.deep.equal(before);
  });
});
