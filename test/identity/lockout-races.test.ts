/**
 * The lockout holds under parallel requests (issue 13 review, finding 1): each guess is counted
 * before it is checked, so a batch sent at once gets no more guesses checked than
 * LOGIN_MAX_FAILURES, and a right answer in the batch neither signs in nor lifts the lock.
 */
import { expect } from "chai";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";
import { auditRows } from "../support/audit.js";
import { csrfToken } from "../support/forms.js";
import { signIn, signInOk } from "../support/sign-in.js";
import { userRow } from "../support/users.js";
import { answered, codeAt, enrolTotp, passwordStep, secondStep } from "./two-factor-helpers.js";

const MAX = 3;

/** Sends every body to `path` at once from one browser; the right one goes out last. */
async function atOnce(agent: Agent, path: string, bodies: Record<string, string>[]) {
  const _csrf = await csrfToken(agent, path);
  return Promise.all(bodies.map((body) => agent.post(path).type("form").send({ _csrf, ...body })));
}

const lockedNow = async (t: ReturnType<typeof useTestApp>, username: string) => {
  const until = (await userRow(t, username)).locked_until;
  return until !== null && new Date(until as string | number).getTime() > t.clock.now().getTime();
};

describe("lockout under parallel requests (LOGIN_MAX_FAILURES=3)", () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: String(MAX) } });

  it("second step: 20 wrong codes and the right one at once check at most 3, lock the login, and the right code does not sign in", async () => {
    const enrolling = browser(t.app);
    await signInOk(enrolling, "carol", DEMO_PASSWORD);
    const { secret } = await enrolTotp(t, enrolling);
    const agent = browser(t.app);
    await passwordStep(agent, "carol", DEMO_PASSWORD);
    const right = codeAt(t, secret);
    const wrongs = Array.from({ length: 20 }, (_, i) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, "0"));

    const answers = await atOnce(agent, "/login/second-factor", [...wrongs, right].map((code) => ({ code })));

    const checked = (await auditRows(t)).filter((r) => r.details.reason === "wrong_second_factor_code");
    expect(checked.length, "wrong codes checked").to.be.at.most(MAX);
    expect(answers.filter((r) => r.status === 303 && r.headers.location === "/"), "signed in").to.deep.equal([]);
    expect(await lockedNow(t, "carol"), "carol is locked").to.equal(true);
    await agent.get("/tickets").expect(303).expect("location", "/login");
    expect(await auditRows(t, "sign_in.succeeded")).to.have.length(1); // the enrolling session's password sign-in only

    // The lock holds for the right password and a fresh code too.
    t.clock.advance(30_000);
    const again = browser(t.app);
    const refused = await answered(signIn(again, "carol", DEMO_PASSWORD), 401);
    expect(refused.text).to.include("Sign-in failed");
    expect(await lockedNow(t, "carol")).to.equal(true);
  });

  it("password: 8 wrong passwords and the right one at once check at most 3, lock the login, and the right one does not sign in", async () => {
    const agent = browser(t.app);
    const bodies = [...Array.from({ length: 8 }, (_, i) => ({ username: "carol", password: `wrong-${i}` })), { username: "carol", password: DEMO_PASSWORD }];

    const answers = await atOnce(agent, "/login", bodies);

    const checked = (await auditRows(t)).filter((r) => r.details.reason === "wrong_password");
    expect(checked.length, "wrong passwords checked").to.be.at.most(MAX);
    expect(answers.filter((r) => r.status === 303), "signed in").to.deep.equal([]);
    expect(await lockedNow(t, "carol")).to.equal(true);
    expect(await auditRows(t, "sign_in.succeeded")).to.deep.equal([]);
    await agent.get("/tickets").expect(303).expect("location", "/login");
  });

  it("a right code after wrong ones (one at a time, under the limit) signs in and clears the count", async () => {
    const enrolling = browser(t.app);
    await signInOk(enrolling, "carol", DEMO_PASSWORD);
    const { secret } = await enrolTotp(t, enrolling);
    const agent = browser(t.app);
    await passwordStep(agent, "carol", DEMO_PASSWORD);
    await answered(secondStep(agent, "000000" === codeAt(t, secret) ? "111111" : "000000"), 401);
    expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(1);
    await answered(secondStep(agent, codeAt(t, secret)), 303, "/");
    expect(Number((await userRow(t, "carol")).failed_sign_ins)).to.equal(0);
  });
});

describe("per-address limit on the second step (LOGIN_IP_LIMIT)", () => {
  const t = useTestApp({ env: { LOGIN_MAX_FAILURES: "50", LOGIN_IP_LIMIT: "2" } });

  it("refuses codes past the limit with 429 and checks none of them", async () => {
    const enrolling = browser(t.app);
    await signInOk(enrolling, "carol", DEMO_PASSWORD);
    const { secret } = await enrolTotp(t, enrolling);
    const agent = browser(t.app);
    await passwordStep(agent, "carol", DEMO_PASSWORD);
    const wrong = codeAt(t, secret) === "000000" ? "111111" : "000000";
    await answered(secondStep(agent, wrong), 401);
    await answered(secondStep(agent, wrong), 401);
    const before = (await userRow(t, "carol")).failed_sign_ins;

    const limited = await answered(secondStep(agent, codeAt(t, secret)), 429);
    expect(limited.text).to.include("Too many sign-in attempts from your network.");
    expect((await userRow(t, "carol")).failed_sign_ins).to.equal(before);
    expect((await auditRows(t)).filter((r) => r.details.reason === "wrong_second_factor_code")).to.have.length(2);
    await agent.get("/tickets").expect(303).expect("location", "/login/second-factor");
  });
});
