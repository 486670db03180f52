import { expect } from "chai";
import { browser } from "../support/http.js";
import { postForm } from "../support/forms.js";
import { signIn, signedIn } from "../support/sign-in.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { count } from "../support/rows.js";
import { useTestApp } from "../support/use-test-app.js";

// Issue 16 item 7: a re-rendered form says "Error:" first in its title, and its summary takes
// focus on arrival without a script and is read once (no live region on top of the focus).
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "";
const summaryOf = (html: string) => /<div class="flash flash-error error-summary"[^>]*>/.exec(html)?.[0] ?? null;

describe("errors are announced", () => {
  const t = useTestApp({ once: true });

  it("a form sent back with problems: the title starts with Error:, the summary is focused once and names each problem once", async () => {
    const carol = await signedIn(t, "carol");
    const before = await count(t, "password_history", {});
    const res = await postForm(carol, "/account/password", { current_password: "", new_password: "x", confirm_password: "y" }, "/account/password");
    expect(res.status).to.equal(400);
    expect(titleOf(res.text)).to.match(/^Error: Change password · Vouchdesk$/);
    const summary = summaryOf(res.text);
    expect(summary, "the summary").to.not.equal(null);
    expect(summary).to.include('tabindex="-1"').and.include("autofocus").and.not.include('role="alert"');
    // The summary is the first element asked to take focus: a field's autofocus after it does not win.
    expect(res.text.indexOf("autofocus")).to.equal(res.text.indexOf(summary!) + summary!.indexOf("autofocus"));
    const problems = [...res.text.matchAll(/<p class="problem" id="([^"]+)-problem">([^<]*)<\/p>/g)].map((m) => m[2]!);
    expect(problems.length).to.be.greaterThan(0);
    for (const p of problems) expect(res.text.split(`>${p}<`).length - 1, p).to.equal(2); // once in the summary's link, once by its field
    expect(await count(t, "password_history", {}), "nothing changed").to.equal(before);
  });

  it("several unmet password rules: one line in the summary, the rules once, as a list, by the field", async () => {
    const carol = await signedIn(t, "carol");
    const res = await postForm(carol, "/account/password", { current_password: DEMO_PASSWORD, new_password: "short", confirm_password: "short" }, "/account/password");
    expect(res.status).to.equal(400);
    const heading = /The new password misses (\d+) of the requirements:/.exec(res.text);
    expect(heading, "the heading line").to.not.equal(null);
    const list = /<div class="problem" id="field-new_password-problem"><p>[^<]*<\/p><ul>((?:<li>[^<]*<\/li>)+)<\/ul><\/div>/.exec(res.text);
    expect(list, "the rules as a list by the field").to.not.equal(null);
    const rules = [...list![1]!.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!);
    expect(rules).to.have.length(Number(heading![1]));
    for (const rule of rules) expect(res.text.split(rule).length - 1, rule).to.equal(1);
  });

  it("the same page without problems has a plain title and no summary", async () => {
    const carol = await signedIn(t, "carol");
    const res = await carol.get("/account/password").expect(200);
    expect(titleOf(res.text)).to.equal("Change password · Vouchdesk");
    expect(summaryOf(res.text)).to.equal(null);
  });

  it("a failed sign-in and an error flashed across a redirect say Error: in the title too", async () => {
    const failed = await signIn(browser(t.app), "alice", "not the password");
    expect(failed.status).to.equal(401);
    expect(titleOf(failed.text)).to.match(/^Error: /);

    const admin = await signedIn(t, "admin");
    const own = (await t.db("users").where({ username: "admin" }).first("id")) as { id: number };
    const refused = await postForm(admin, `/admin/logins/${own.id}/disable`, { confirm: "yes" }, `/admin/logins/${own.id}`);
    expect(refused.status).to.equal(303);
    const page = await admin.get(refused.headers.location as string).expect(200);
    expect(page.text).to.include("You cannot disable your own login.");
    expect(titleOf(page.text)).to.match(/^Error: /);
    expect(await count(t, "users", { username: "admin", disabled_at: null }), "still enabled").to.equal(1);
  });
});
