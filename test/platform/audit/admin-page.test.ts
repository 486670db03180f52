import { expect } from "chai";
import { appendAudit } from "../../../src/platform/audit/audit-log.js";
import { browser } from "../../support/http.js";
import { postForm } from "../../support/forms.js";
import { signedIn } from "../../support/sign-in.js";
import { auditRows } from "../../support/audit.js";
import { count } from "../../support/rows.js";
import { useTestApp } from "../../support/use-test-app.js";

/** The sequence numbers listed on an audit page, in order. */
const listedSeqs = (html: string) => [...html.matchAll(/<tr>\s*<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));

describe("audit log page (/admin/audit)", () => {
  const t = useTestApp();

  it("lists every entry newest first, 50 a page, with each older page exactly once", async () => {
    for (let i = 0; i < 60; i++) await appendAudit(t.db, { action: "test.filler", actor: "tester", subject: `ticket:${i}`, details: { i } }, t.clock.now());
    const admin = await signedIn(t, "admin");
    const total = await count(t, "audit_log");
    const first = await admin.get("/admin/audit").expect(200);
    const seqs = listedSeqs(first.text);
    expect(seqs).to.have.length(50);
    expect(seqs[0]).to.equal(total);
    const next = /href="(\/admin\/audit\?before=\d+)"/.exec(first.text)![1]!;
    const rest = listedSeqs((await admin.get(next).expect(200)).text);
    expect([...seqs, ...rest]).to.deep.equal(Array.from({ length: total }, (_, i) => total - i));
  });

  it("filters by action, action family, actor (any case) and subject, and links a subject to its page", async () => {
    const admin = await signedIn(t, "admin");
    await appendAudit(t.db, { action: "reset.approved", actor: "bob", subject: "ticket:7", details: { target: "ACM0001" } }, t.clock.now());
    await appendAudit(t.db, { action: "reset.rejected", actor: "alice", subject: "ticket:8", details: {} }, t.clock.now());
    const actions = async (query: string) => {
      const html = (await admin.get(`/admin/audit?${query}`).expect(200)).text;
      return [...html.matchAll(/<code>([a-z_.]+)<\/code><\/a>/g)].map((m) => m[1]);
    };
    expect(await actions("action=reset.approved")).to.deep.equal(["reset.approved"]);
    expect(await actions("action=reset.")).to.deep.equal(["reset.rejected", "reset.approved"]);
    expect(await actions("actor=BOB")).to.deep.equal(["reset.approved"]);
    expect(await actions("subject=ticket%3A8")).to.deep.equal(["reset.rejected"]);
    await appendAudit(t.db, { action: "task.run_requested", actor: "admin", subject: "task:deliver-mail", details: {} }, t.clock.now());
    expect(await actions("subject=task%3Adeliver-mail")).to.deep.equal(["task.run_requested"]);
    expect(await actions("action=&actor=&subject=")).to.include("reset.approved").and.include("sign_in.succeeded");
    const page = (await admin.get("/admin/audit?subject=ticket%3A7")).text;
    expect(page).to.include('href="/desk/tickets/7"').and.include("&#34;target&#34;:&#34;ACM0001&#34;");
  });

  it("answers a bad filter with 400 naming it", async () => {
    const admin = await signedIn(t, "admin");
    for (const [query, problem] of [
      ["action=DROP%20TABLE", "An action looks like reset.approved"],
      ["subject=ticket", "A subject looks like ticket:12"],
      ["subject=ticket%3A%3Cb%3E", "A subject looks like ticket:12"],
      ["actor=two%20words", "Enter one username."],
      ["before=abc", "This page link is broken"],
      ["before=9999999999", "Too big"],
    ] as const) {
      const res = await admin.get(`/admin/audit?${query}`);
      expect(res.status, query).to.equal(400);
      if (problem !== "Too big") expect(res.text, query).to.include(problem);
    }
  });

  it("speaks words: each action's label beside its name, plain IPv4 addresses, and a range of days", async () => {
    const admin = await signedIn(t, "admin");
    const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
    await appendAudit(t.db, { action: "reset.approved", actor: "bob", ip: "::ffff:192.0.2.7", subject: "ticket:7", details: {} }, day("2026-11-02"));
    await appendAudit(t.db, { action: "sla.targets_changed", actor: "admin", ip: "2001:db8::1", subject: null, details: {} }, day("2026-11-03"));
    await appendAudit(t.db, { action: "reset.rejected", actor: "alice", subject: "ticket:8", details: {} }, day("2026-11-05"));
    const page = (await admin.get("/admin/audit?actor=bob").expect(200)).text;
    expect(page).to.include("Primary reset approved; temporary password sent").and.include("<code>reset.approved</code>");
    expect(page).to.include("192.0.2.7").and.not.include("::ffff:");
    // An action no label lists still reads as its family and words; an IPv6 address stays as it is.
    const unknown = (await admin.get("/admin/audit?actor=admin&action=sla.targets_changed").expect(200)).text;
    expect(unknown).to.include("sla: targets changed").and.include("2001:db8::1");

    const actions = async (query: string) => [...(await admin.get(`/admin/audit?${query}`).expect(200)).text.matchAll(/<code>([a-z_.]+)<\/code><\/a>/g)].map((m) => m[1]);
    expect(await actions("from=2026-11-02&to=2026-11-03")).to.deep.equal(["sla.targets_changed", "reset.approved"]);
    expect(await actions("from=2026-11-04&to=2026-11-05")).to.deep.equal(["reset.rejected"]);
    expect(await actions("to=2026-11-02")).to.include("reset.approved").and.not.include("reset.rejected");
    // The range is kept by the next page's link and the filter links.
    const kept = (await admin.get("/admin/audit?from=2026-11-02&to=2026-11-05").expect(200)).text;
    expect(kept).to.include("from=2026-11-02&amp;to=2026-11-05").and.include('value="2026-11-02"');

    for (const [query, field, problem] of [
      ["from=yesterday", "from", "Enter a date like 2026-12-01."],
      ["to=2026-02-30", "to", "There is no such day"],
      ["from=2026-11-05&to=2026-11-02", "to", "The last day is before the first"],
    ] as const) {
      const res = await admin.get(`/admin/audit?${query}`);
      expect(res.status, query).to.equal(400);
      expect(res.text, query).to.include(problem).and.include(`id="field-${field}-problem"`);
      expect(listedSeqs(res.text), query).to.deep.equal([]);
    }
  });

  it("verifies the chain on request, says where it breaks, and records the check", async () => {
    const admin = await signedIn(t, "admin");
    const ok = await postForm(admin, "/admin/audit/verify", {}, "/admin/audit");
    expect(ok.status).to.equal(303);
    expect((await admin.get("/admin/audit")).text).to.include("The chain holds");
    expect((await auditRows(t, "audit.verified"))[0]!.actor).to.equal("admin");

    await t.db("audit_log").where({ seq: 2 }).update({ details: JSON.stringify({ forged: true }) });
    await postForm(admin, "/admin/audit/verify", {}, "/admin/audit");
    expect((await admin.get("/admin/audit")).text).to.include("The chain is broken at entry 2: row 2 was altered.");
  });

  it("is for admins only, and the check needs a CSRF token", async () => {
    for (const username of ["alice", "carol"]) {
      const agent = await signedIn(t, username);
      expect((await agent.get("/admin/audit")).status, username).to.equal(403);
      expect((await postForm(agent, "/admin/audit/verify", {}, "/")).status, username).to.equal(403);
    }
    expect((await browser(t.app).get("/admin/audit")).status).to.equal(303);
    const admin = await signedIn(t, "admin");
    const before = await count(t, "audit_log");
    expect((await admin.post("/admin/audit/verify").type("form").send({})).status).to.equal(403);
    expect(await count(t, "audit_log")).to.equal(before);
  });
});
