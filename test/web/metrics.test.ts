import { expect } from "chai";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import request from "supertest";
import { listenForMetrics } from "../../src/main/metrics.js";
import { asDate } from "../../src/shared/db.js";
import { codeAt, enrolTotp, passwordStep, secondStep } from "../identity/two-factor-helpers.js";
import { queueTestMessage } from "../platform/mail/outbox-helpers.js";
import { openRequest } from "../resets/helpers.js";
import { browser, sessionCookie } from "../support/http.js";
import { count } from "../support/rows.js";
import { signIn, signedIn } from "../support/sign-in.js";
import { DEMO_PASSWORD, type TestApp } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";

const TOKEN = "metrics-token-for-the-tests-0123456789abcdef";
const WRONG = "metrics-token-for-the-tests-0123456789abcdeX";

const scrape = async (t: TestApp) => (await request(t.app).get("/metrics").set("Authorization", `Bearer ${TOKEN}`).expect(200)).text;

/** The value of one series in the exposition, by its name and exact labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(/,(?=[a-z_]+=")/).filter(Boolean).sort().join(",");
    if (have === wanted) return Number(m[3]);
  }
  return undefined;
}

/** Every route label in the exposition. */
const routeLabels = (text: string) => [...new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!))];

describe("/metrics", () => {
  describe("with METRICS_TOKEN", () => {
    const t = useTestApp({ env: { METRICS_TOKEN: TOKEN, LOGIN_MAX_FAILURES: "2" } });

    it("labels request durations by the route's pattern, method and status, never by the URL's ids or a secret", async () => {
      const ticketId = await openRequest(t, "carol");
      const alice = await signedIn(t, "alice");
      await alice.get(`/desk/tickets/${ticketId}`).expect(200);
      await alice.get(`/desk/tickets/${ticketId}`).expect(200);
      await alice.get("/no-such-page/12345").expect(404);
      const login = await browser(t.app).get("/login").expect(200);

      const text = await scrape(t);
      expect(sample(text, "vouchdesk_http_request_duration_seconds_count", { method: "GET", route: "/desk/tickets/:id", status: "200" })).to.equal(2);
      expect(sample(text, "vouchdesk_http_request_duration_seconds_count", { method: "GET", route: "unmatched", status: "404" })).to.equal(1);
      expect(sample(text, "vouchdesk_http_request_duration_seconds_count", { method: "POST", route: "/login", status: "303" })).to.be.at.least(2);
      const routes = routeLabels(text);
      expect(routes).to.include("/desk/tickets/:id");
      // No route label holds a number as a path segment (an id), a query string or the 404's path.
      expect(routes.filter((route) => /\/\d+(\/|$)/.test(route) || route.includes("?") || route.includes("no-such-page"))).to.deep.equal([]);
      for (const secret of [DEMO_PASSWORD, sessionCookie(login)!, TOKEN]) expect(text).not.to.include(secret);
    });

    it("counts the outbox by status and the age of its oldest queued mail, as the rows stand at the scrape", async () => {
      await queueTestMessage(t, "one@example.test");
      t.clock.advance(90_000);
      await queueTestMessage(t, "two@example.test");
      const text = await scrape(t);
      for (const status of ["queued", "sending", "sent", "failed", "dead", "cancelled"]) {
        expect(sample(text, "vouchdesk_outbox_messages", { status }), status).to.equal(await count(t, "outbox", { status }));
      }
      expect(sample(text, "vouchdesk_outbox_messages", { status: "queued" })).to.be.at.least(2);
      const oldest = asDate(((await t.db("outbox").whereIn("status", ["queued", "failed"]).min({ at: "created_at" }).first()) as { at: unknown }).at)!;
      expect(sample(text, "vouchdesk_outbox_oldest_queued_age_seconds")).to.equal((t.clock.now().getTime() - oldest.getTime()) / 1000).and.at.least(90);

      await t.deliverMail();
      const after = await scrape(t);
      expect(sample(after, "vouchdesk_outbox_messages", { status: "queued" })).to.equal(0);
      expect(sample(after, "vouchdesk_outbox_messages", { status: "sent" })).to.equal(await count(t, "outbox", { status: "sent" })).and.at.least(2);
      expect(sample(after, "vouchdesk_outbox_oldest_queued_age_seconds")).to.equal(0);
    });

    it("shows each task's last success once it has run, and keeps it after a failed run", async () => {
      const before = await scrape(t);
      expect(sample(before, "vouchdesk_task_last_success_timestamp_seconds", { task: "purge-expired-sessions" })).to.equal(0);
      const ran = await t.scheduler.run("purge-expired-sessions");
      expect(ran).to.include({ ran: true, status: "done" });
      const succeededAt = t.clock.now().getTime() / 1000;
      const after = await scrape(t);
      expect(sample(after, "vouchdesk_task_last_success_timestamp_seconds", { task: "purge-expired-sessions" })).to.equal(succeededAt);
      expect(sample(after, "vouchdesk_task_last_success_timestamp_seconds", { task: "deliver-mail" })).to.equal(0);

      // A run that fails (its table gone) records its failure, and the last success stays.
      t.clock.advance(60_000);
      await t.db.schema.renameTable("sessions", "sessions_away");
      expect(await t.scheduler.run("purge-expired-sessions")).to.include({ ran: true, status: "failed" });
      await t.db.schema.renameTable("sessions_away", "sessions");
      expect(sample(await scrape(t), "vouchdesk_task_last_success_timestamp_seconds", { task: "purge-expired-sessions" })).to.equal(succeededAt);
    });

    it("counts failed sign-ins and the lockout they lead to, and reset requests by state", async () => {
      const before = await scrape(t);
      const failures = sample(before, "vouchdesk_sign_in_failures_total")!;
      const lockouts = sample(before, "vouchdesk_sign_in_lockouts_total")!;
      expect([failures, lockouts]).to.deep.equal([0, 0]);

      await signIn(browser(t.app), "dave", "not-his-password");
      expect(sample(await scrape(t), "vouchdesk_sign_in_failures_total")).to.equal(1);
      expect(sample(await scrape(t), "vouchdesk_sign_in_lockouts_total")).to.equal(0);
      await signIn(browser(t.app), "dave", "still-not-his-password");
      await signIn(browser(t.app), "nobody-by-that-name", "whatever");
      const after = await scrape(t);
      expect(sample(after, "vouchdesk_sign_in_failures_total")).to.equal(3);
      expect(sample(after, "vouchdesk_sign_in_lockouts_total")).to.equal(1);
      expect(await count(t, "audit_log", { action: "sign_in.locked" })).to.equal(1);

      expect(sample(after, "vouchdesk_reset_requests", { state: "pending" })).to.equal(0);
      await openRequest(t, "carol");
      const withRequest = await scrape(t);
      expect(sample(withRequest, "vouchdesk_reset_requests", { state: "pending" })).to.equal(1);
      for (const state of ["delivered", "redeemed", "rejected", "expired", "withdrawn"]) expect(sample(withRequest, "vouchdesk_reset_requests", { state }), state).to.equal(0);
    });

    it("counts a wrong second-step code as a failed sign-in too", async () => {
      const { secret } = await enrolTotp(t, await signedIn(t, "carol"));
      const agent = browser(t.app);
      await passwordStep(agent, "carol", DEMO_PASSWORD);
      expect(sample(await scrape(t), "vouchdesk_sign_in_failures_total")).to.equal(0);
      expect((await secondStep(agent, codeAt(t, secret, 5))).status).not.to.equal(303);
      expect(sample(await scrape(t), "vouchdesk_sign_in_failures_total")).to.equal(1);
      expect(await count(t, "audit_log", { action: "sign_in.failed" })).to.equal(1);
    });

    it("answers 401 with WWW-Authenticate and no detail without the bearer token or with a wrong one, and sets no cookie", async () => {
      const attempts = [undefined, `Bearer ${WRONG}`, `Bearer ${TOKEN.slice(0, -1)}`, `bearer${TOKEN}`, `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`, TOKEN];
      for (const authorization of attempts) {
        const req = request(t.app).get("/metrics");
        const res = await (authorization ? req.set("Authorization", authorization) : req);
        expect(res.status, String(authorization)).to.equal(401);
        expect(res.headers["www-authenticate"]).to.equal('Bearer realm="metrics"');
        expect(res.text).to.equal("unauthorized");
        expect(res.headers["set-cookie"]).to.equal(undefined);
      }
      // Scrapes, refused or not, are not timed: /metrics is no route label.
      const ok = await request(t.app).get("/metrics").set("Authorization", `Bearer ${TOKEN}`).expect(200);
      expect(ok.headers["content-type"]).to.match(/^text\/plain; version=0\.0\.4/);
      expect(ok.headers["cache-control"]).to.equal("no-store");
      expect(ok.text).to.include("# TYPE vouchdesk_http_request_duration_seconds histogram").and.not.include('route="/metrics"');
    });
  });

  describe("off (neither METRICS_TOKEN nor METRICS_PORT)", () => {
    const t = useTestApp({ once: true });

    it("is a 404 on the main app, with or without a bearer token", async () => {
      await request(t.app).get("/metrics").expect(404);
      await request(t.app).get("/metrics").set("Authorization", `Bearer ${TOKEN}`).expect(404);
    });
  });

  describe("on the METRICS_PORT listener", () => {
    let listener: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve())));

    describe("without METRICS_TOKEN", () => {
      const t = useTestApp({ once: true });

      it("serves /metrics without a token on loopback only, nothing else; the main app's /metrics stays a 404", async () => {
        listener = await listenForMetrics(t.metrics, 0);
        const address = listener.address() as AddressInfo;
        expect(address.address).to.equal("127.0.0.1");
        await request(t.app).get("/login").expect(200);
        const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
        expect(res.status).to.equal(200);
        const text = await res.text();
        expect(sample(text, "vouchdesk_http_request_duration_seconds_count", { method: "GET", route: "/login", status: "200" })).to.equal(1);
        expect(sample(text, "vouchdesk_outbox_messages", { status: "queued" })).to.equal(await count(t, "outbox", { status: "queued" }));
        expect((await fetch(`http://127.0.0.1:${address.port}/login`)).status).to.equal(404);
        expect((await fetch(`http://127.0.0.1:${address.port}/healthz`)).status).to.equal(404);
        await request(t.app).get("/metrics").expect(404);
      });

      it("refuses to start on a port already in use, naming METRICS_PORT", async () => {
        listener = await listenForMetrics(t.metrics, 0);
        const port = (listener.address() as AddressInfo).port;
        let error: unknown;
        await listenForMetrics(t.metrics, port).catch((err: unknown) => (error = err));
        expect(String(error)).to.include(`METRICS_PORT ${port} on 127.0.0.1 is already in use`);
      });
    });

    describe("with METRICS_TOKEN as well", () => {
      const t = useTestApp({ once: true, env: { METRICS_TOKEN: TOKEN } });

      it("serves both: the listener without a token, the main app only with it", async () => {
        listener = await listenForMetrics(t.metrics, 0);
        const { port } = listener.address() as AddressInfo;
        expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).to.equal(200);
        await request(t.app).get("/metrics").expect(401);
        await request(t.app).get("/metrics").set("Authorization", `Bearer ${TOKEN}`).expect(200);
      });
    });
  });
});
