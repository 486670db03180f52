import { expect } from "chai";
import knex from "knex";
import request from "supertest";
import { buildTestApp, type TestApp } from "../support/test-app.js";
import { startPostgresCluster, type PostgresCluster } from "../support/postgres-cluster.js";

describe("PostgreSQL stopped and started under the app", function () {
  let cluster: PostgresCluster;
  let t: TestApp;

  before(async () => {
    cluster = await startPostgresCluster();
    const admin = knex({ client: "pg", connection: cluster.url, pool: { min: 0, max: 1 } });
    await admin.raw("CREATE DATABASE vouchdesk_outage");
    await admin.destroy();
    const url = cluster.url.replace(/\/postgres$/, "/vouchdesk_outage");
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
