import { expect } from "chai";
import knex from "knex";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import request from "supertest";
import { sessionCookie, type Agent } from "../support/http.js";
import { startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { buildTestApp, DEMO_PASSWORD, type TestApp } from "../support/test-app.js";
import { waitFor } from "../support/wait.js";
import { csrfFrom } from "../support/forms.js";
import { signInOk } from "../support/sign-in.js";

/** A new database on the cluster, for one app. */
async function createDatabase(cluster: PostgresCluster, name: string): Promise<string> {
  const admin = knex({ client: "pg", connection: cluster.url, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

/** Asks until the server answers /healthz 200 again (PostgreSQL takes a moment to accept connections). */
const untilHealthy = (agent: Agent) => waitFor("the server to answer /healthz 200 again", async () => (await agent.get("/healthz")).status === 200, 60_000, 100);

/** The page the desk shows while its database is away, with nothing of the database or the session in it. */
function expectUnavailablePage(res: request.Response): void {
  expect(res.status, res.text.slice(0, 300)).to.equal(503);
  expect(res.text).to.include("briefly unavailable");
  expect(res.text).not.to.include("_csrf");
  expect(res.text).not.to.match(/ECONN|postgres|SQL|select|insert|terminat|sessions/i);
  expect(res.headers["set-cookie"]).to.equal(undefined);
}

describe("PostgreSQL stopped and started under the app", function () {
  let cluster: PostgresCluster;
  let t: TestApp;

  before(async () => {
    cluster = await startPostgresCluster();
    const url = await createDatabase(cluster, "vouchdesk_outage");
    t = await buildTestApp({ database: { url, files: [], drop: () => Promise.resolve() }, seedDemo: true });
  });
  after(async () => {
    await t?.close();
    cluster?.remove();
  });

  it("answers /healthz 503 while the database is down and 200 once it is back", async () => {
    await request(t.app).get("/healthz").expect(200);
    cluster.stop();
    const down = await request(t.app).get("/healthz");
    expect(down.status).to.equal(503);
    cluster.start();
    await request(t.app).get("/healthz").expect(200);
  });
});

describe("PostgreSQL stopped during traffic to the real server process", function () {
  let cluster: PostgresCluster;
  let server: ServerProcess;
  let varDir: string;

  before(async () => {
    cluster = await startPostgresCluster();
    varDir = mkdtempSync(path.join(tmpdir(), "vouchdesk-outage-var-"));
    server = await startServerProcess({ DATABASE_URL: await createDatabase(cluster, "vouchdesk_child"), VAR_DIR: varDir });
  });
  after(async () => {
    await server?.stop();
    cluster?.remove();
    rmSync(varDir, { recursive: true, force: true });
  });

  it("answers 503 'briefly unavailable' while PostgreSQL is down, stays alive, and serves again once it is back", async () => {
    const carol = request.agent(server.url);
    const signedIn = await signInOk(carol, "carol", DEMO_PASSWORD);
    const carolCookie = sessionCookie(signedIn)!;
    const carolToken = csrfFrom((await carol.get("/").expect(200)).text);
    const visitor = request.agent(server.url);
    const loginPage = await visitor.get("/login").expect(200);
    const visitorToken = csrfFrom(loginPage.text);
    const secrets = [carolCookie.split("=")[1]!, decodeURIComponent(carolCookie.split("=")[1]!), carolToken, visitorToken];

    cluster.stop();
    // Traffic while it is down: each kind of request several times, some at once.
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all([
        request(server.url).get("/login"),
        carol.get("/"),
        carol.get("/tickets"),
        visitor.post("/login").type("form").send({ _csrf: visitorToken, username: "dave", password: DEMO_PASSWORD }),
        carol.post("/logout").type("form").send({ _csrf: carolToken }),
      ]);
      answers.forEach(expectUnavailablePage);
    }
    expect(server.alive(), server.output().slice(-2000)).to.equal(true);

    cluster.start();
    await untilHealthy(request(server.url));
    // Carol is still signed in (her sign-out never reached the database), and the visitor can sign in.
    const home = await carol.get("/").expect(200);
    expect(home.text).to.include("Sign out");
    const freshToken = csrfFrom((await visitor.get("/login").expect(200)).text);
    await visitor.post("/login").type("form").send({ _csrf: freshToken, username: "dave", password: DEMO_PASSWORD }).expect(303);
    expect(server.alive()).to.equal(true);

    const output = server.output();
    expect(output).to.include("database unavailable");
    for (const secret of [...secrets, freshToken]) expect(output, "a session id or CSRF token in the server's output").not.to.include(secret);
    expect(output).not.to.match(/csrfToken|"passport"/);
  });
});
