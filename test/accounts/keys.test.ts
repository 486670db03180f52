import { expect } from "chai";
import * as openpgp from "openpgp";
import { browser, type Agent } from "../support/http.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { csrfToken, postForm } from "../support/forms.js";
import { signedIn, signInOk } from "../support/sign-in.js";
import { msOf, count, type Row } from "../support/rows.js";
import { auditRows } from "../support/audit.js";
import { userId, userRow } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";

const EMAIL = "primary@acme.example";

const grouped = (fingerprint: string) => fingerprint.toUpperCase().match(/.{4}/g)!.join(" ");
const fingerprintOf = async (armoredKey: string) => (await openpgp.readKey({ armoredKey })).getFingerprint().toUpperCase();

/** The keys every test uses, generated once (RSA-3072 takes a few seconds). */
interface Keys {
  ecc: { publicKey: string; privateKey: string };
  rsa3072: string;
  rsa1024: string;
  expired: string;
  revoked: string;
  signingOnly: string;
  wrongEmail: string;
  carol: string;
  /** A private key armoured under a PUBLIC KEY BLOCK header. */
  disguisedPrivate: string;
}

async function generateKeys(): Promise<Keys> {
  const userIDs = [{ name: "Acme primary", email: EMAIL }];
  const ecc = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs, format: "armored" });
  const rsa3072 = await openpgp.generateKey({ type: "rsa", rsaBits: 3072, userIDs, format: "armored" });
  const rsa1024 = await openpgp.generateKey({ type: "rsa", rsaBits: 1024, userIDs, format: "armored", config: { minRSABits: 1024 } });
  const expired = await openpgp.generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs,
    format: "armored",
    date: new Date(Date.now() - 10 * 86400_000),
    keyExpirationTime: 86400,
  });
  const toRevoke = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs, format: "object" });
  const revoked = await openpgp.revokeKey({ key: toRevoke.privateKey, format: "armored" });
  const signing = await openpgp.readKey({ armoredKey: (await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs, format: "armored" })).publicKey });
  signing.subkeys = [];
  const wrongEmail = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Someone", email: "someone@elsewhere.example" }], format: "armored" });
  const carol = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Carol Jones", email: "carol@acme.example" }], format: "armored" });
  const disguised = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs, format: "object" });
  return {
    disguisedPrivate: openpgp.armor(openpgp.enums.armor.publicKey, disguised.privateKey.toPacketList().write()),
    ecc,
    rsa3072: rsa3072.publicKey,
    rsa1024: rsa1024.publicKey,
    expired: expired.publicKey,
    revoked: revoked.publicKey,
    signingOnly: signing.armor(),
    wrongEmail: wrongEmail.publicKey,
    carol: carol.publicKey,
  };
}

describe("OpenPGP keys", () => {
  let keys: Keys;
  const t = useTestApp();
  let primary: Agent;

  before(async function () {
    this.timeout(120_000);
    keys = await generateKeys();
  });
  beforeEach(async () => {
    // These tests start from a login with no key: take out the demo key ACM0001 ships with.
    await t.db("pgp_keys").delete();
    await t.db("users").update({ key_changed_at: null });
    primary = await signedIn(t, "ACM0001");
  });

  const paste = (armored_key: string) => postForm(primary, "/account/key", { armored_key }, "/account/key");
  const currentKeys = async (username = "ACM0001") => (await t.db("pgp_keys").where({ user_id: await userId(t, username) }).whereNull("revoked_at")) as Row[];

  describe("the primary holder's own key (/account/key)", () => {
    it("shows that no key is on file yet", async () => {
      const page = await primary.get("/account/key").expect(200);
      expect(page.text).to.include("No key on file").and.include('name="armored_key"');
    });

    it("accepts a curve25519 key, then replaces it with an RSA-3072 key, recording and auditing both", async () => {
      const acm = await userRow(t, "ACM0001");
      expect(acm.key_changed_at).to.equal(null);

      const first = await paste(keys.ecc.publicKey);
      expect(first.status, first.text.slice(0, 3000)).to.equal(303);
      expect(first.headers.location).to.equal("/account/key");
      const eccFingerprint = await fingerprintOf(keys.ecc.publicKey);
      const shown = await primary.get("/account/key").expect(200);
      expect(shown.text).to.include(grouped(eccFingerprint)).and.include("Ed25519").and.include(EMAIL);
      expect(shown.text).to.include("Your OpenPGP key is registered");

      let rows = await currentKeys();
      expect(rows).to.have.length(1);
      expect(rows[0]!.fingerprint).to.equal(eccFingerprint);
      expect(Number(rows[0]!.added_by)).to.equal(Number(acm.id));
      expect(JSON.parse(rows[0]!.user_ids as string)).to.deep.equal([`Acme primary <${EMAIL}>`]);
      expect(rows[0]!.armored_key as string).to.include("BEGIN PGP PUBLIC KEY BLOCK").and.not.include("PRIVATE");
      const changedAt = msOf((await userRow(t, "ACM0001")).key_changed_at);
      expect(changedAt).to.equal(t.clock.now().getTime());

      const added = await auditRows(t, "key.added");
      expect(added).to.have.length(1);
      expect(added[0]!.actor).to.equal("ACM0001");
      expect(added[0]!.subject).to.equal(`user:${Number(acm.id)}`);
      expect(added[0]!.details).to.include({ fingerprint: eccFingerprint, previousFingerprint: null });

      t.clock.advance(60_000);
      const second = await paste(keys.rsa3072);
      expect(second.status, second.text.slice(0, 3000)).to.equal(303);
      const rsaFingerprint = await fingerprintOf(keys.rsa3072);
      const replaced = await primary.get("/account/key").expect(200);
      expect(replaced.text).to.include(grouped(rsaFingerprint)).and.include("RSA 3072").and.not.include(grouped(eccFingerprint));

      rows = await currentKeys();
      expect(rows).to.have.length(1);
      expect(rows[0]!.fingerprint).to.equal(rsaFingerprint);
      const old = (await t.db("pgp_keys").where({ fingerprint: eccFingerprint }).first()) as Row;
      expect(msOf(old.revoked_at)).to.equal(t.clock.now().getTime());
      expect(msOf((await userRow(t, "ACM0001")).key_changed_at)).to.equal(t.clock.now().getTime());

      const swapped = await auditRows(t, "key.replaced");
      expect(swapped).to.have.length(1);
      expect(swapped[0]!.details).to.include({ fingerprint: rsaFingerprint, previousFingerprint: eccFingerprint });
      const order = (await auditRows(t)).map((r) => r.action).filter((a) => a.startsWith("key."));
      expect(order).to.deep.equal(["key.added", "key.replaced"]);
    });

    const refusals: [string, (k: Keys) => string, string][] = [
      ["an expired key", (k) => k.expired, "The key expired on"],
      ["a revoked key", (k) => k.revoked, "The key has been revoked."],
      ["a signing-only key", (k) => k.signingOnly, "The key has no valid encryption key or subkey"],
      ["an RSA-1024 key", (k) => k.rsa1024, "RSA keys must be at least 2048 bits; this one has 1024."],
      ["a key without the registered address", (k) => k.wrongEmail, `user IDs carries the registered address ${EMAIL}`],
      ["garbage", () => "this is not a key at all", "The text is not an armoured OpenPGP public key."],
      ["a truncated key", (k) => `${k.ecc.publicKey.slice(0, Math.floor(k.ecc.publicKey.length / 2))}\n-----END PGP PUBLIC KEY BLOCK-----`, "The text is not an armoured OpenPGP public key."],
      ["nothing", () => "", "Paste the public key"],
      ["more than 64 KB", () => `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${"A".repeat(66 * 1024)}\n-----END PGP PUBLIC KEY BLOCK-----`, "The key is larger than 64 KB."],
      ["far more than 64 KB", () => "A".repeat(90 * 1024), "The key is larger than 64 KB."],
    ];
    for (const [what, key, reason] of refusals) {
      it(`refuses ${what} with 400, naming the reason, and stores nothing`, async () => {
        const res = await paste(key(keys));
        expect(res.status, res.text.slice(0, 3000)).to.equal(400);
        expect(res.text).to.include("The key was not registered").and.include(reason);
        expect(await count(t, "pgp_keys")).to.equal(0);
        expect((await userRow(t, "ACM0001")).key_changed_at).to.equal(null);
        expect((await auditRows(t)).filter((r) => r.action.startsWith("key."))).to.have.length(0);
      });
    }

    it("refuses a pasted private key, never echoes it into the page and never stores or logs it", async () => {
      const res = await paste(keys.ecc.privateKey);
      expect(res.status).to.equal(400);
      expect(res.text).to.include("This is a private key");
      expect(res.text).to.not.include("BEGIN PGP PRIVATE KEY BLOCK");
      // Every base64 line of the armoured private key: none in the page, the database or the logs.
      const lines = keys.ecc.privateKey.split("\n").filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
      expect(lines.length).to.be.greaterThan(0);
      for (const line of lines) {
        expect(res.text).to.not.include(line);
        expect(await t.leaks(line)).to.equal(false);
      }
      expect(await count(t, "pgp_keys")).to.equal(0);
    });

    it("refuses a private key under a public-key header, and does not echo it back either", async () => {
      const res = await paste(keys.disguisedPrivate);
      expect(res.status).to.equal(400);
      expect(res.text).to.include("This is a private key");
      expect(await count(t, "pgp_keys")).to.equal(0);
      const lines = keys.disguisedPrivate.split("\n").filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
      expect(lines.length).to.be.greaterThan(0);
      for (const line of lines) {
        expect(await t.leaks(line)).to.equal(false);
        expect(res.text, "the private key material is echoed into the page").to.not.include(line);
      }
    });

    it("leaves the key on file in place when a replacement is refused", async () => {
      expect((await paste(keys.ecc.publicKey)).status).to.equal(303);
      const res = await paste(keys.expired);
      expect(res.status).to.equal(400);
      const rows = await currentKeys();
      expect(rows).to.have.length(1);
      expect(rows[0]!.fingerprint).to.equal(await fingerprintOf(keys.ecc.publicKey));
      expect(await count(t, "pgp_keys")).to.equal(1);
    });

    it("is for the primary holder only: a secondary and an agent get 403", async () => {
      for (const username of ["carol", "alice"]) {
        const agent = browser(t.app);
        await signInOk(agent, username, DEMO_PASSWORD);
        await agent.get("/account/key").expect(403);
        const _csrf = await csrfToken(agent, "/");
        await agent.post("/account/key").type("form").send({ _csrf, armored_key: keys.carol }).expect(403);
      }
      expect(await count(t, "pgp_keys")).to.equal(0);
    });

    it("needs a CSRF token", async () => {
      await primary.post("/account/key").type("form").send({ armored_key: keys.ecc.publicKey }).expect(403);
      expect(await count(t, "pgp_keys")).to.equal(0);
    });
  });

  describe("keys set by an admin (/admin/logins/:id/key)", () => {
    let admin: Agent;
    beforeEach(async () => {
      admin = await signedIn(t, "admin");
    });

    it("adds a key for a login and removes it, both audited", async () => {
      const carolId = await userId(t, "carol");
      const adminId = await userId(t, "admin");
      const res = await postForm(admin, `/admin/logins/${carolId}/key`, { armored_key: keys.carol });
      expect(res.status, res.text.slice(0, 3000)).to.equal(303);
      expect(res.headers.location).to.equal(`/admin/logins/${carolId}`);
      const fingerprint = await fingerprintOf(keys.carol);
      const rows = await currentKeys("carol");
      expect(rows).to.have.length(1);
      expect(rows[0]!.fingerprint).to.equal(fingerprint);
      expect(Number(rows[0]!.added_by)).to.equal(adminId);
      expect(msOf((await userRow(t, "carol")).key_changed_at)).to.equal(t.clock.now().getTime());
      const added = await auditRows(t, "key.added");
      expect(added).to.have.length(1);
      expect(added[0]!.actor).to.equal("admin");
      expect(added[0]!.subject).to.equal(`user:${carolId}`);
      expect(added[0]!.details).to.include({ fingerprint, username: "carol" });

      const page = await admin.get(`/admin/logins/${carolId}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.include(grouped(fingerprint));

      t.clock.advance(60_000);
      const removed = await postForm(admin, `/admin/logins/${carolId}/key/remove`, { confirm: "yes" });
      expect(removed.status).to.equal(303);
      expect(removed.headers.location).to.equal(`/admin/logins/${carolId}`);
      expect(await currentKeys("carol")).to.have.length(0);
      const row = (await t.db("pgp_keys").where({ fingerprint }).first()) as Row;
      expect(msOf(row.revoked_at)).to.equal(t.clock.now().getTime());
      expect(msOf((await userRow(t, "carol")).key_changed_at)).to.equal(t.clock.now().getTime());
      const audit = await auditRows(t, "key.removed");
      expect(audit).to.have.length(1);
      expect(audit[0]!.actor).to.equal("admin");
      expect(audit[0]!.details).to.include({ fingerprint });

      // Removing again changes nothing and audits nothing.
      expect((await postForm(admin, `/admin/logins/${carolId}/key/remove`, { confirm: "yes" })).status).to.equal(303);
      expect(await auditRows(t, "key.removed")).to.have.length(1);
    });

    it("checks the key against the login's own address and names the problem", async () => {
      const carolId = await userId(t, "carol");
      const res = await postForm(admin, `/admin/logins/${carolId}/key`, { armored_key: keys.ecc.publicKey });
      expect(res.status).to.equal(400);
      expect(res.text).to.include("user IDs carries the registered address carol@acme.example");
      const priv = await postForm(admin, `/admin/logins/${carolId}/key`, { armored_key: keys.ecc.privateKey });
      expect(priv.status).to.equal(400);
      expect(priv.text).to.include("This is a private key").and.not.include("BEGIN PGP PRIVATE KEY BLOCK");
      expect(await count(t, "pgp_keys")).to.equal(0);
    });

    it("answers 404 for a login that does not exist, and 403 to non-admins", async () => {
      await postForm(admin, "/admin/logins/99999/key", { armored_key: keys.carol }).then((r) => expect(r.status).to.equal(404));
      await postForm(admin, "/admin/logins/abc/key/remove").then((r) => expect(r.status).to.equal(404));
      const agent = browser(t.app);
      await signInOk(agent, "alice", DEMO_PASSWORD);
      const carolId = await userId(t, "carol");
      await postForm(agent, `/admin/logins/${carolId}/key`, { armored_key: keys.carol }).then((r) => expect(r.status).to.equal(403));
      expect(await count(t, "pgp_keys")).to.equal(0);
    });
  });
});
