/**
 * Confirm before destroying (issue 16 item 6): each destructive step's button opens a
 * confirmation page (GET) saying what will happen; only its form, posting `confirm=yes`, does
 * the step. A POST without it is a 400 with that page and nothing changed. Buttons in tables name
 * their row, so a screen reader's list of buttons is not "Disable, Disable, Disable".
 */
import { expect } from "chai";
import { currentKey, hasActiveFactor } from "../../src/identity/index.js";
import { auditRows } from "../support/audit.js";
import { databaseRows } from "../support/database.js";
import { postForm } from "../support/forms.js";
import type { Agent } from "../support/http.js";
import type { Row } from "../support/rows.js";
import { signedIn } from "../support/sign-in.js";
import { useTestApp } from "../support/use-test-app.js";
import { userId, userRow } from "../support/users.js";
import { contactId } from "../resets/helpers.js";
import { answered, codeAt, enrolTotp } from "../identity/two-factor-helpers.js";

const NOT_CONFIRMED = "Nothing was changed: this step is done only from its confirmation page.";
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "";
const headingOf = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? "";
/** The text of each button in the page's tables, as a screen reader names it (hidden spans included, tags and spacing dropped). */
const tableButtonNames = (html: string) =>
  [...html.matchAll(/<table[^]*?<\/table>/g)].flatMap((table) => [...table[0].matchAll(/<button[^>]*>([^]*?)<\/button>/g)].map((b) => b[1]!.replace(/<[^>]+>/g, "").replace(/\s+/g, " ").trim()));

describe("confirm before destroying (issue 16 item 6)", () => {
  const t = useTestApp();

  interface Step {
    who: "admin" | "ACM0001";
    path: string;
    heading: string;
    done: () => Promise<boolean>;
  }

  /** Every destructive step, with the row it acts on and how to see that it was done. */
  async function destructiveSteps(): Promise<Step[]> {
    const [alice, dave, carol, bob, acm] = await Promise.all([userId(t, "alice"), userId(t, "dave"), userId(t, "carol"), userId(t, "bob"), userId(t, "ACM0001")]);
    const account = Number((await userRow(t, "carol")).account_id);
    const paula = await contactId(t, "Paula Primary");
    const user = (username: string) => userRow(t, username);
    return [
      { who: "admin", path: `/admin/logins/${alice}/disable`, heading: "Disable alice?", done: async () => (await user("alice")).disabled_at !== null },
      { who: "admin", path: `/admin/logins/${bob}/remove-factors`, heading: "Remove bob&#39;s two-step sign-in?", done: async () => !(await hasActiveFactor(t.db, bob)) },
      { who: "admin", path: `/admin/logins/${acm}/key/remove`, heading: "Remove ACM0001&#39;s OpenPGP key?", done: async () => (await currentKey(t.db, acm)) === null },
      { who: "admin", path: `/admin/contacts/${paula}/delete`, heading: "Remove contact Paula Primary?", done: async () => (await t.db("contacts").where({ id: paula }).first()) === undefined },
      { who: "ACM0001", path: `/account/users/${carol}/reset`, heading: "Reset carol&#39;s password?", done: async () => (await user("carol")).password_hash === null },
      { who: "ACM0001", path: `/account/users/${carol}/unauthorise`, heading: "Withdraw carol&#39;s case authorisation?", done: async () => !(await user("carol")).can_open_cases },
      { who: "ACM0001", path: `/account/users/${carol}/remove-factors`, heading: "Remove carol&#39;s two-step sign-in?", done: async () => !(await hasActiveFactor(t.db, carol)) },
      { who: "ACM0001", path: `/account/users/${dave}/disable`, heading: "Disable dave?", done: async () => (await user("dave")).disabled_at !== null },
      // Last: it signs out the holder too.
      { who: "admin", path: `/admin/accounts/${account}/suspend`, heading: "Suspend ACM · Acme Corp?", done: async () => ((await t.db("accounts").where({ id: account }).first()) as Row).status === "suspended" },
    ];
  }

  it("refuses every destructive step posted without confirm=yes (400, its confirmation page, nothing changed), and does it from the page", async () => {
    // Factors to remove: bob's (staff, removed by an admin) and carol's (a secondary, removed by the holder).
    for (const username of ["bob", "carol"]) await enrolTotp(t, await signedIn(t, username));
    const agents: Record<Step["who"], Agent> = { admin: await signedIn(t, "admin"), ACM0001: await signedIn(t, "ACM0001") };

    for (const step of await destructiveSteps()) {
      const agent = agents[step.who];
      const before = await databaseRows(t.db, ["sessions"]);
      for (const form of [{}, { confirm: "no" }, { confirm: "" }] as Record<string, string>[]) {
        const refused = await postForm(agent, step.path, form, step.path);
        expect(refused.status, `${step.path} ${JSON.stringify(form)}`).to.equal(400);
        expect(titleOf(refused.text), step.path).to.match(/^Error: /);
        expect(refused.text).to.include(NOT_CONFIRMED).and.include('href="#field-confirm"').and.include(`action="${step.path}"`);
      }
      expect(await databaseRows(t.db, ["sessions"]), `${step.path}: nothing changed, not even the audit log`).to.deep.equal(before);
      expect(await step.done(), step.path).to.equal(false);

      // The page says what will happen and names the row; its form carries the CSRF token and confirm=yes.
      const page = await agent.get(step.path).expect(200);
      expect(headingOf(page.text), step.path).to.equal(step.heading);
      expect(page.text).to.match(/<input type="hidden" name="_csrf" value="[^"]+">/).and.include('<input type="hidden" name="confirm" value="yes">');
      const audited = (await auditRows(t)).length;
      expect((await postForm(agent, step.path, { confirm: "yes" }, step.path)).status, step.path).to.equal(303);
      expect(await step.done(), step.path).to.equal(true);
      expect((await auditRows(t)).length, `${step.path} is audited`).to.be.greaterThan(audited);
    }
  });

  it("asks before a login edit that withdraws case authorisation, carries the typed fields, and saves them only once confirmed", async () => {
    const admin = await signedIn(t, "admin");
    const carol = await userId(t, "carol");
    const page = `/admin/logins/${carol}`;
    const edit = { display_name: "Carol J. Jones", email: "carol@acme.example" };
    const before = await databaseRows(t.db, ["sessions"]);
    const audited = (await auditRows(t)).length;
    const asked = await answered(postForm(admin, page, edit, page), 200);
    expect(headingOf(asked.text)).to.equal("Withdraw carol&#39;s case authorisation?");
    expect(asked.text).to.include('name="display_name" value="Carol J. Jones"').and.include('name="confirm" value="yes"').and.not.include('name="can_open_cases"');
    expect(await databaseRows(t.db, ["sessions"]), "nothing saved yet").to.deep.equal(before);

    await answered(postForm(admin, page, { ...edit, confirm: "yes" }, page), 303, page);
    const row = await userRow(t, "carol");
    expect([row.display_name, Boolean(row.can_open_cases)]).to.deep.equal(["Carol J. Jones", false]);
    expect((await auditRows(t)).length, "audited").to.be.greaterThan(audited);

    // Keeping the authorisation (or a login without it) saves at once, as before.
    await answered(postForm(admin, page, { ...edit, display_name: "Carol Jones" }, page), 303, page);
    expect((await userRow(t, "carol")).display_name).to.equal("Carol Jones");
  });

  it("keeps step-up: a stale holder confirms, is asked the code, comes back to the confirmation page, and one press does it", async () => {
    const holder = await signedIn(t, "ACM0001");
    const { secret } = await enrolTotp(t, holder);
    t.clock.advance(6 * 60_000);
    const dave = await userId(t, "dave");
    const step = `/account/users/${dave}/disable`;

    await holder.get(step).expect(200);
    const before = await databaseRows(t.db, ["sessions"]);
    const asked = await answered(postForm(holder, step, { confirm: "yes" }, step), 403);
    expect(asked.text).to.include("This step needs your second factor again").and.include(`name="return_to" value="${step}"`);
    expect(await databaseRows(t.db, ["sessions"]), "nothing changed").to.deep.equal(before);

    t.clock.advance(30_000);
    await answered(postForm(holder, "/confirm-identity", { code: codeAt(t, secret), return_to: step }, "/confirm-identity"), 303, step);
    expect(headingOf((await holder.get(step).expect(200)).text)).to.equal("Disable dave?");
    await answered(postForm(holder, step, { confirm: "yes" }, step), 303, "/account/users");
    expect((await userRow(t, "dave")).disabled_at).to.not.equal(null);
  });

  it("names the row in every table button (distinct accessible names), and the buttons that open a confirmation page send no CSRF token in the URL", async () => {
    const holder = await signedIn(t, "ACM0001");
    const users = (await holder.get("/account/users").expect(200)).text;
    const names = tableButtonNames(users);
    expect(names).to.include.members(["Reset password carol", "Disable carol", "Withdraw case authorisation carol", "Reset password dave", "Disable dave", "Authorise to open cases dave"]);
    expect(new Set(names).size, names.join(" | ")).to.equal(names.length);

    const admin = await signedIn(t, "admin");
    const account = Number((await userRow(t, "carol")).account_id);
    const accountPage = (await admin.get(`/admin/accounts/${account}`).expect(200)).text;
    const contactButtons = tableButtonNames(accountPage);
    expect(contactButtons).to.include("Remove Paula Primary");
    expect(new Set(contactButtons).size).to.equal(contactButtons.length);

    for (const html of [users, accountPage]) {
      for (const form of html.matchAll(/<form method="get"[^]*?<\/form>/g)) expect(form[0]).to.not.include("_csrf");
    }
  });
});
