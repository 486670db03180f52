import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, databaseUrlProblem, loadConfig, resolveSessionSecret } from "../../src/shared/config.js";
import { projectRoot } from "../../src/shared/paths.js";
import { freePort } from "../support/postgres-cluster.js";

/** Runs loadConfig and returns the ConfigError it throws; fails the test when it does not throw one. */
function configErrorFor(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err, `error for ${JSON.stringify(env)}`).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail(`loadConfig(${JSON.stringify(env)}) should have thrown a ConfigError`);
}

/** What production needs besides SESSION_SECRET: the desk's https address and its proxy. */
const PRODUCTION = { NODE_ENV: "production", BASE_URL: "https://desk.example.com", TRUST_PROXY: "loopback" };

function expectOneLineNaming(message: string, variable: string): void {
  expect(message).to.match(/^Invalid configuration: /);
  expect(message).not.to.match(/[\r\n]/);
  expect(message).to.include(variable);
}

describe("configuration (loadConfig)", () => {
  describe("defaults", () => {
    it("fills every setting with its documented default when the environment is empty", () => {
      const config = loadConfig({});
      expect(config.port).to.equal(3000);
      expect(config.env).to.equal("development");
      expect(config.production).to.equal(false);
      expect(config.baseUrl).to.equal("http://localhost:3000");
      expect(config.mail.transport).to.equal("file");
      expect(config.passwordPolicy).to.equal("classic");
      expect(config.login.maxFailures).to.equal(5);
      expect(config.login.lockMinutes).to.equal(15);
      expect(config.login.ipLimit).to.equal(30);
      expect(config.tempPasswordTtlHours).to.equal(24);
      expect(config.resetLinkTtlMinutes).to.equal(60);
      expect(config.resetTwoPerson).to.equal(true);
      expect(config.worker).to.equal("inline");
      expect(config.logLevel).to.equal("info");
      expect(config.timeZone).to.equal("UTC");
      expect(config.sessionSecret).to.equal(undefined);
      expect(config.databaseUrl.startsWith("sqlite:"), config.databaseUrl).to.equal(true);
      expect(config.databaseUrl.endsWith(path.join("var", "vouchdesk.sqlite")), config.databaseUrl).to.equal(true);
      expect(path.isAbsolute(config.varDir)).to.equal(true);
    });

    it("treats an empty string as unset, falling back to the default", () => {
      const config = loadConfig({
        PORT: "",
        MAIL_TRANSPORT: "",
        PASSWORD_POLICY: "",
        LOGIN_MAX_FAILURES: "",
        RESET_TWO_PERSON: "",
        WORKER: "",
        DATABASE_URL: "",
        SESSION_SECRET: "",
        LOG_LEVEL: "",
      });
      expect(config.port).to.equal(3000);
      expect(config.mail.transport).to.equal("file");
      expect(config.passwordPolicy).to.equal("classic");
      expect(config.login.maxFailures).to.equal(5);
      expect(config.resetTwoPerson).to.equal(true);
      expect(config.worker).to.equal("inline");
      expect(config.logLevel).to.equal("info");
      expect(config.sessionSecret).to.equal(undefined);
      expect(config.databaseUrl.startsWith("sqlite:")).to.equal(true);
    });

    it("reads valid values of the right types", () => {
      const config = loadConfig({
        PORT: "8080",
        BASE_URL: "https://desk.example.com/",
        DATABASE_URL: "postgres://u:p@db.example/vouch",
        SMTP_SECURE: "YES",
        RESET_TWO_PERSON: "false",
        LOGIN_MAX_FAILURES: "3",
        TEMP_PASSWORD_TTL_HOURS: "1",
        PASSWORD_POLICY: "nist",
        WORKER: "off",
        LOG_LEVEL: "silent",
      });
      expect(config.port).to.equal(8080);
      expect(config.baseUrl).to.equal("https://desk.example.com");
      expect(config.databaseUrl).to.equal("postgres://u:p@db.example/vouch");
      expect(config.mail.smtp.secure).to.equal(true);
      expect(config.resetTwoPerson).to.equal(false);
      expect(config.login.maxFailures).to.equal(3);
      expect(config.tempPasswordTtlHours).to.equal(1);
      expect(config.passwordPolicy).to.equal("nist");
      expect(config.worker).to.equal("off");
      expect(config.logLevel).to.equal("silent");
    });
  });

  describe("invalid variables throw a one-line ConfigError naming the variable", () => {
    const cases: [string, string][] = [
      ["PORT", "abc"],
      ["PORT", "70000"],
      ["PORT", "0"],
      ["DATABASE_URL", "mysql://x"],
      ["MAIL_TRANSPORT", "pigeon"],
      ["SMTP_SECURE", "maybe"],
      ["LOGIN_MAX_FAILURES", "0"],
      ["TEMP_PASSWORD_TTL_HOURS", "48"],
      ["PASSWORD_POLICY", "weak"],
      ["DESK_KEY_ROTATE", "please"],
      ["WORKER", "sometimes"],
      ["LOG_LEVEL", "loud"],
      ["BASE_URL", "ftp://x"],
      ["NODE_ENV", "staging"],
    ];
    for (const [variable, value] of cases) {
      it(`rejects ${variable}=${value}`, () => {
        const err = configErrorFor({ [variable]: value });
        expectOneLineNaming(err.message, variable);
      });
    }

    it("reads TIME_ZONE as an IANA name in its canonical spelling, and refuses one Intl does not know, quoting it", () => {
      expect(loadConfig({ TIME_ZONE: "Europe/London" }).timeZone).to.equal("Europe/London");
      expect(loadConfig({ TIME_ZONE: " america/new_york " }).timeZone).to.equal("America/New_York");
      for (const value of ["Mars/Olympus_Mons", "GMT+25", "+01:00", "CEST"]) {
        const err = configErrorFor({ TIME_ZONE: value });
        expectOneLineNaming(err.message, "TIME_ZONE");
        expect(err.message).to.include("IANA time zone").and.include(JSON.stringify(value));
      }
    });

    it("reads METRICS_TOKEN and METRICS_PORT; refuses a short or unsendable token without echoing it, and a METRICS_PORT that is PORT or INBOUND_SMTP_PORT", () => {
      expect(loadConfig({}).metrics).to.deep.equal({ token: null, port: null });
      const token = "m".repeat(16) + "N0-._~+/=".repeat(2) + "x".repeat(8);
      expect(loadConfig({ METRICS_TOKEN: token, METRICS_PORT: "9464" }).metrics).to.deep.equal({ token, port: 9464 });
      for (const bad of ["short-token", `${"a".repeat(30)} b`, `${"a".repeat(31)}"`]) {
        const err = configErrorFor({ METRICS_TOKEN: bad });
        expectOneLineNaming(err.message, "METRICS_TOKEN");
        expect(err.message).to.include("at least 32 characters").and.not.include(bad);
      }
      for (const [env, other] of [[{ PORT: "4000", METRICS_PORT: "4000" }, "PORT"], [{ INBOUND_SMTP_PORT: "2525", METRICS_PORT: "2525" }, "INBOUND_SMTP_PORT"]] as const) {
        const err = configErrorFor(env);
        expectOneLineNaming(err.message, "METRICS_PORT");
        expect(err.message).to.include(`must differ from ${other}`);
      }
      expectOneLineNaming(configErrorFor({ METRICS_PORT: "0" }).message, "METRICS_PORT");
    });

    it("reads INBOUND_PROTOCOL (smtp by default, or lmtp for an MTA's LMTP transport) and refuses anything else by name", () => {
      expect(loadConfig({ INBOUND_SMTP_PORT: "2525" }).inbound.smtp).to.deep.equal({ host: "127.0.0.1", port: 2525, lmtp: false });
      expect(loadConfig({ INBOUND_SMTP_PORT: "2525", INBOUND_PROTOCOL: "lmtp" }).inbound.smtp).to.deep.equal({ host: "127.0.0.1", port: 2525, lmtp: true });
      const err = configErrorFor({ INBOUND_PROTOCOL: "pop3" });
      expectOneLineNaming(err.message, "INBOUND_PROTOCOL");
      expect(err.message).to.include("must be smtp or lmtp");
    });

    it("rejects a SESSION_SECRET shorter than 32 characters without echoing the secret", () => {
      const err = configErrorFor({ SESSION_SECRET: "short" });
      expectOneLineNaming(err.message, "SESSION_SECRET");
      expect(err.message).to.include("32");
      expect(err.message).not.to.include("short");
    });

    it("requires SESSION_SECRET when NODE_ENV=production", () => {
      const err = configErrorFor({ NODE_ENV: "production" });
      expectOneLineNaming(err.message, "SESSION_SECRET");
      expect(err.message).to.include("production");
    });

    it("accepts NODE_ENV=production with a long SESSION_SECRET, an https BASE_URL and TRUST_PROXY", () => {
      const config = loadConfig({ ...PRODUCTION, SESSION_SECRET: "x".repeat(32) });
      expect(config.production).to.equal(true);
      expect(config.sessionSecret).to.equal("x".repeat(32));
      expect(config.trustProxy).to.deep.equal(["loopback"]);
    });

    describe("DATABASE_URL, read strictly (pg would fill what it cannot parse with localhost:5432)", () => {
      const malformed: [string, string][] = [
        ["postgres:/db.example/desk", "postgres://"],
        ["postgres://", "no host"],
        ["postgres://vouchdesk:hunter2@db.example", "one database"],
        ["postgres://vouchdesk:hunter2@db.example/desk/more", "one database"],
        ["postgres://vouchdesk:hun#ter2@db.example/desk", "not a valid URL"],
        ["postgres://vouchdesk:hunter2@db.example/desk#x", "%23"],
        ["postgres://vouchdesk:100%hunter2@db.example/desk", "%25"],
        ["postgres://vouchdesk:hunter2@db.example:99999/desk", "not a valid URL"],
        ["postgres://vouchdesk:hunter2@:5432/desk", "not a valid URL"],
        ["sqlite:", "needs a file"],
      ];
      for (const [value, problem] of malformed) {
        it(`refuses ${value.replace("hunter2", "…")} naming the problem, never the password`, () => {
          const err = configErrorFor({ DATABASE_URL: value });
          expectOneLineNaming(err.message, "DATABASE_URL");
          expect(err.message).to.include(problem);
          expect(err.message).not.to.include("hunter2");
        });
      }

      it("accepts the forms pg reads as written", () => {
        for (const value of [
          "postgres://vouchdesk:p%40ss%23word@db.example:5433/desk",
          "postgresql://db.example/desk?sslmode=require",
          "postgres:///desk?host=/var/run/postgresql",
          "sqlite::memory:",
          "sqlite:/var/lib/vouchdesk/desk.sqlite",
        ]) {
          expect(databaseUrlProblem(value), value).to.equal(undefined);
          expect(loadConfig({ DATABASE_URL: value }).databaseUrl).to.equal(value);
        }
      });
    });

    it("requires SMTP_HOST when MAIL_TRANSPORT=smtp", () => {
      const err = configErrorFor({ MAIL_TRANSPORT: "smtp" });
      expectOneLineNaming(err.message, "SMTP_HOST");
      expect(loadConfig({ MAIL_TRANSPORT: "smtp", SMTP_HOST: "mail.example" }).mail.smtp.host).to.equal("mail.example");
    });
  });
});

describe("configuration: lease lengths", () => {
  it("gives mail and task leases 120 seconds by default and reads MAIL_LEASE_SECONDS and TASK_LEASE_SECONDS", () => {
    expect(loadConfig({}).leases).to.deep.equal({ mailMs: 120_000, taskMs: 120_000 });
    expect(loadConfig({ MAIL_LEASE_SECONDS: "3", TASK_LEASE_SECONDS: "2" }).leases).to.deep.equal({ mailMs: 3000, taskMs: 2000 });
  });

  const bad: [string, string][] = [
    ["MAIL_LEASE_SECONDS", "1"],
    ["MAIL_LEASE_SECONDS", "2m"],
    ["TASK_LEASE_SECONDS", "0"],
    ["TASK_LEASE_SECONDS", "3601"],
  ];
  for (const [variable, value] of bad) {
    it(`rejects ${variable}=${value} with one line naming it`, () => {
      expectOneLineNaming(configErrorFor({ [variable]: value }).message, variable);
    });
  }
});

/** A regular file in `dir`, for paths that need a directory there. */
function fileIn(dir: string): string {
  const file = path.join(dir, "a-file");
  writeFileSync(file, "not a directory\n");
  return file;
}

describe("TRUST_PROXY and production behind a TLS proxy", () => {
  it("is false by default, outside production", () => {
    expect(loadConfig({}).trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: "false" }).trustProxy).to.equal(false);
  });

  it("reads a hop count, loopback, and a list of addresses, CIDRs and named ranges", () => {
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: "loopback" }).trustProxy).to.deep.equal(["loopback"]);
    expect(loadConfig({ TRUST_PROXY: " 10.0.0.7, 192.168.0.0/16,::1, fd00::/8 ,uniquelocal" }).trustProxy).to.deep.equal(["10.0.0.7", "192.168.0.0/16", "::1", "fd00::/8", "uniquelocal"]);
  });

  for (const value of ["true", "0", "11", "-1", "10.0.0.300", "10.0.0.0/33", "::1/129", "10.0.0.0/8/1", "proxy.example", "loopback,", "yes"]) {
    it(`rejects TRUST_PROXY=${value} with a one-line message naming it`, () => {
      const err = configErrorFor({ TRUST_PROXY: value });
      expectOneLineNaming(err.message, "TRUST_PROXY");
      expect(err.message).to.include("loopback").and.include(JSON.stringify(value));
    });
  }

  it("refuses production without an https BASE_URL: the session cookie is Secure", () => {
    for (const BASE_URL of [undefined, "http://desk.example.com"]) {
      const err = configErrorFor({ ...PRODUCTION, SESSION_SECRET: "x".repeat(32), ...(BASE_URL ? { BASE_URL } : { BASE_URL: "" }) });
      expectOneLineNaming(err.message, "BASE_URL");
      expect(err.message).to.include("https://").and.include("Running in production");
    }
  });

  it("refuses production without TRUST_PROXY: behind the proxy no sign-in could work", () => {
    for (const TRUST_PROXY of ["", "false"]) {
      const err = configErrorFor({ ...PRODUCTION, SESSION_SECRET: "x".repeat(32), TRUST_PROXY });
      expectOneLineNaming(err.message, "TRUST_PROXY");
      expect(err.message).to.include("NODE_ENV=production").and.include("Running in production");
    }
  });
});

describe("configuration errors at server start (process level)", function () {
  // Each case starts the server through tsx: tens of seconds on a busy machine. The limits only stop a hang.
  this.timeout(120_000);
  let varDir: string;

  let closedPort: number;

  before(async () => {
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-config-"));
    closedPort = await freePort();
  });

  after(() => {
    rmSync(varDir, { recursive: true, force: true });
  });

  function startServer(extra: Record<string, string>, remove: string[] = []) {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", VAR_DIR: varDir };
    delete env.DATABASE_URL;
    Object.assign(env, extra);
    for (const name of remove) delete env[name];
    return spawnSync(process.execPath, ["--import", "tsx", "src/main/server.ts"], {
      cwd: projectRoot,
      env,
      encoding: "utf8",
      timeout: 90_000,
    });
  }

  const cases: { title: string; env: Record<string, string>; remove?: string[]; variable: string }[] = [
    { title: "PORT=abc", env: { PORT: "abc" }, variable: "PORT" },
    { title: "MAIL_TRANSPORT=pigeon", env: { MAIL_TRANSPORT: "pigeon" }, variable: "MAIL_TRANSPORT" },
    { title: "NODE_ENV=production without SESSION_SECRET", env: { NODE_ENV: "production" }, remove: ["SESSION_SECRET"], variable: "SESSION_SECRET" },
    { title: "a postgres URL with one slash", env: { DATABASE_URL: "postgres:/db.example/desk" }, variable: "DATABASE_URL" },
    { title: "NODE_ENV=production over plain HTTP", env: { ...PRODUCTION, SESSION_SECRET: "x".repeat(32), BASE_URL: "http://desk.example.com" }, variable: "BASE_URL" },
    { title: "NODE_ENV=production without TRUST_PROXY", env: { ...PRODUCTION, SESSION_SECRET: "x".repeat(32) }, remove: ["TRUST_PROXY"], variable: "TRUST_PROXY" },
    { title: "a DATA_KEY that is not 32 bytes", env: { DATA_KEY: "not-a-key" }, variable: "DATA_KEY" },
    { title: "a TIME_ZONE that is no IANA zone", env: { TIME_ZONE: "Europe/Atlantis" }, variable: "TIME_ZONE" },
  ];
  for (const c of cases) {
    it(`exits with code 2 and one stderr line naming ${c.variable} on ${c.title}`, () => {
      const result = startServer(c.env, c.remove);
      expect(result.error, String(result.error)).to.equal(undefined);
      expect(result.signal, "the server should exit by itself, not be killed by the timeout").to.equal(null);
      expect(result.status).to.equal(2);
      const stderr = result.stderr.trim();
      expect(stderr.split(/\r?\n/), stderr).to.have.length(1);
      expect(stderr).to.match(/^Invalid configuration: /);
      expect(stderr).to.include(c.variable);
      expect(result.stderr).not.to.match(/^\s*at /m);
    });
  }

  /** Start-up failures past the configuration: one line naming the variable and the path or server. */
  const failures: { title: string; run: () => { env: Record<string, string>; names: string[] } }[] = [
    {
      title: "a VAR_DIR inside a regular file",
      run: () => ({ env: { VAR_DIR: path.join(fileIn(varDir), "var") }, names: ["VAR_DIR", "ENOTDIR", "is a file"] }),
    },
    {
      title: "a SQLite DATABASE_URL naming a directory",
      run: () => ({ env: { DATABASE_URL: `sqlite:${varDir}` }, names: ["DATABASE_URL", varDir, "SQLITE_CANTOPEN"] }),
    },
    {
      title: "PostgreSQL not answering",
      run: () => ({
        env: { DATABASE_URL: `postgres://vouchdesk:not-to-be-shown@127.0.0.1:${closedPort}/desk` },
        names: ["DATABASE_URL", `127.0.0.1:${closedPort}`, "ECONNREFUSED", "start PostgreSQL"],
      }),
    },
  ];
  for (const f of failures) {
    it(`exits with code 2 and one stderr line naming the variable, the path or server and what to do on ${f.title}`, () => {
      const { env, names } = f.run();
      const result = startServer(env);
      expect(result.status, result.stderr).to.equal(2);
      const stderr = result.stderr.trim();
      expect(stderr.split(/\r?\n/), stderr).to.have.length(1);
      expect(stderr).to.match(/^Cannot start: /);
      for (const name of names) expect(stderr).to.include(name);
      expect(stderr).not.to.include("not-to-be-shown");
    });
  }

  it("does not create the database when the configuration is invalid", () => {
    const result = startServer({ PORT: "abc" });
    expect(result.status).to.equal(2);
    expect(existsSync(path.join(varDir, "vouchdesk.sqlite"))).to.equal(false);
  });
});

describe("resolveSessionSecret", () => {
  let varDir: string;

  beforeEach(() => {
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-secret-"));
  });

  afterEach(() => {
    rmSync(varDir, { recursive: true, force: true });
  });

  it("returns the configured secret without writing a file", () => {
    const secret = "s".repeat(40);
    const config = loadConfig({ SESSION_SECRET: secret, VAR_DIR: varDir });
    expect(resolveSessionSecret(config)).to.equal(secret);
    expect(existsSync(path.join(varDir, "session-secret"))).to.equal(false);
  });

  it("generates a secret of at least 32 characters into VAR_DIR/session-secret with mode 0600 and reuses it", () => {
    const dir = path.join(varDir, "nested");
    const config = loadConfig({ VAR_DIR: dir });
    expect(config.varDir).to.equal(dir);
    const first = resolveSessionSecret(config);
    expect(first.length).to.be.at.least(32);

    const file = path.join(dir, "session-secret");
    expect(existsSync(file)).to.equal(true);
    expect(readFileSync(file, "utf8").trim()).to.equal(first);
    if (process.platform !== "win32") {
      expect(statSync(file).mode & 0o777).to.equal(0o600);
    }

    const second = resolveSessionSecret(loadConfig({ VAR_DIR: dir }));
    expect(second).to.equal(first);
  });

  it("generates a different secret in a different VAR_DIR", () => {
    const a = resolveSessionSecret(loadConfig({ VAR_DIR: path.join(varDir, "a") }));
    const b = resolveSessionSecret(loadConfig({ VAR_DIR: path.join(varDir, "b") }));
    expect(a).not.to.equal(b);
  });
});
