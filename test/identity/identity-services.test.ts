import { expect } from "chai";
import type { Knex } from "knex";
import * as openpgp from "openpgp";
import { minutes } from "../../src/shared/clock.js";
import { newToken } from "../../src/shared/tokens.js";
import { checkPublicKey, countWrongAnswers, currentKey, endTemporaryPassword, findLiveLink, findLoginByUsername, giveTemporaryPassword, hashPassword, issueLinkToken, putKeyInUse, spendLinksOf, takeKeyOutOfUse, type Login } from "../../src/identity/index.js";
import { keyDateFor, startTestApp, type TestApp } from "../support/test-app.js";

/** The identity services other domains call inside their own transactions (the routes' tests reach them end to end). */
describe("identity services", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const login = async (username: string): Promise<Login> => (await findLoginByUsername(t.db, username))!;
  const inTrx = <T>(work: (trx: Knex.Transaction) => Promise<T>) => t.db.transaction(work);

  describe("temporary passwords", () => {
    it("gives a temporary password that must be changed and expires, and ends every session", async () => {
      const before = await login("ACM0001");
      const expiresAt = new Date(t.clock.now().getTime() + minutes(60));
      const hash = await hashPassword("Temporary-Passw0rd!x");
      await inTrx((trx) => giveTemporaryPassword(trx, before.id, hash, expiresAt, t.clock.now()));
      const after = await login("ACM0001");
      expect(after.passwordHash).to.equal(hash);
      expect(after.mustChangePassword).to.equal(true);
      expect(after.tempPasswordExpiresAt?.getTime()).to.equal(expiresAt.getTime());
      expect(after.sessionEpoch).to.equal(before.sessionEpoch + 1);
      // A temporary password is not history: the holder may not be refused a password for having been given it.
      expect(await t.db("password_history").where({ user_id: before.id, password_hash: hash }).first()).to.equal(undefined);
    });

    it("ends a temporary password the login is still on: it stops working and every session ends", async () => {
      const primary = await login("ACM0001");
      await inTrx((trx) => giveTemporaryPassword(trx, primary.id, primary.passwordHash!, new Date(t.clock.now().getTime() + minutes(60)), t.clock.now()));
      const given = await login("ACM0001");
      expect(await inTrx((trx) => endTemporaryPassword(trx, primary.id, t.clock.now()))).to.equal(true);
      const ended = await login("ACM0001");
      expect(ended.passwordHash).to.equal(null);
      expect(ended.mustChangePassword).to.equal(false);
      expect(ended.sessionEpoch).to.equal(given.sessionEpoch + 1);
    });

    it("keeps a password the holder chose: nothing changes when the login is not on a temporary password", async () => {
      const before = await login("ACM0001");
      expect(before.mustChangePassword).to.equal(false);
      expect(await inTrx((trx) => endTemporaryPassword(trx, before.id, t.clock.now()))).to.equal(false);
      const after = await login("ACM0001");
      expect(after.passwordHash).to.equal(before.passwordHash);
      expect(after.sessionEpoch).to.equal(before.sessionEpoch);
    });
  });

  describe("keys", () => {
    it("puts a checked key in use, retiring and returning the one before; taking it out leaves none", async () => {
      const primary = await login("ACM0001");
      const demoKey = (await currentKey(t.db, primary.id))!;
      const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ email: primary.email! }], date: keyDateFor(t.clock), format: "armored" });
      const check = await checkPublicKey(publicKey, primary.email, t.clock.now());
      if (!check.ok) throw new Error(check.problems.join(" "));

      const retired = await inTrx((trx) => putKeyInUse(trx, primary.id, check.key, null, t.clock.now()));
      expect(retired?.fingerprint).to.equal(demoKey.fingerprint);
      expect((await currentKey(t.db, primary.id))?.fingerprint).to.equal(check.key.fingerprint);
      expect(await t.db("pgp_keys").where({ user_id: primary.id }).whereNull("revoked_at")).to.have.length(1);

      expect(await inTrx((trx) => takeKeyOutOfUse(trx, primary.id, t.clock.now()))).to.equal(check.key.fingerprint);
      expect(await currentKey(t.db, primary.id)).to.equal(null);
      expect(await inTrx((trx) => takeKeyOutOfUse(trx, primary.id, t.clock.now()))).to.equal(null);
    });
  });

  describe("link tokens", () => {
    const issue = async (userId: number, purpose: "reset" | "set_password") => {
      const token = newToken();
      await inTrx((trx) => issueLinkToken(trx, token, userId, purpose, new Date(t.clock.now().getTime() + minutes(60)), null, t.clock.now()));
      return token;
    };

    it("keeps one live link per login and purpose: a new one spends the earlier one, not a link of another purpose", async () => {
      const carol = await login("carol");
      const firstReset = await issue(carol.id, "reset");
      const setPassword = await issue(carol.id, "set_password");
      const secondReset = await issue(carol.id, "reset");
      expect(await findLiveLink(t, firstReset, "reset")).to.equal(null);
      expect((await findLiveLink(t, secondReset, "reset"))?.login.username).to.equal("carol");
      expect((await findLiveLink(t, setPassword, "set_password"))?.login.username).to.equal("carol");
      // A token answers only for its own purpose.
      expect(await findLiveLink(t, setPassword, "reset")).to.equal(null);
    });

    it("spends every live link of a login at once, and counts them", async () => {
      const carol = await login("carol");
      const reset = await issue(carol.id, "reset");
      const setPassword = await issue(carol.id, "set_password");
      expect(await inTrx((trx) => spendLinksOf(trx, carol.id, t.clock.now()))).to.equal(2);
      expect(await findLiveLink(t, reset, "reset")).to.equal(null);
      expect(await findLiveLink(t, setPassword, "set_password")).to.equal(null);
      expect(await inTrx((trx) => spendLinksOf(trx, carol.id, t.clock.now()))).to.equal(0);
    });

    it("burns a link when wrong answers reach the limit, and counts nothing on a spent link", async () => {
      const carol = await login("carol");
      const token = await issue(carol.id, "reset");
      const link = (await findLiveLink(t, token, "reset"))!;
      expect(await inTrx((trx) => countWrongAnswers(trx, link.token.id, 2, t.clock.now()))).to.equal(1);
      expect(await findLiveLink(t, token, "reset")).to.not.equal(null);
      expect(await inTrx((trx) => countWrongAnswers(trx, link.token.id, 2, t.clock.now()))).to.equal(2);
      expect(await findLiveLink(t, token, "reset")).to.equal(null);
      expect(await inTrx((trx) => countWrongAnswers(trx, link.token.id, 2, t.clock.now()))).to.equal(null);
    });
  });
});
