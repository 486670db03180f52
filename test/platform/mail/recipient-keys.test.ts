import { expect } from "chai";
import * as openpgp from "openpgp";
import { setLoginKey } from "../../../src/accounts/index.js";
import { usableRecipientKey } from "../../../src/platform/mail/pgp.js";
import { askForLink, resetMailsTo, resetTokenOf } from "../../identity/reset-helpers.js";
import { browser } from "../../support/http.js";
import { decryptPgpMime } from "../../support/pgp.js";
import { keyDateFor } from "../../support/test-app.js";
import { actorFor, userId } from "../../support/users.js";
import { useTestApp } from "../../support/use-test-app.js";

const CAROL = "carol@acme.example";

// Parsed recipient keys are kept between mails (pgp.ts): what is kept must follow the key on file.
describe("recipient keys kept between mails", () => {
  const t = useTestApp();
  const carolKey = () => openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "Carol Jones", email: CAROL }], format: "armored", date: keyDateFor(t.clock) });

  it("encrypts the next mail to a key that replaced the one on file, never to the one it replaced", async () => {
    const [first, second] = [await carolKey(), await carolKey()];
    const carolId = await userId(t, "carol");
    const carol = await actorFor(t, "carol");
    expect(await setLoginKey(t, carolId, first.publicKey, carol)).to.deep.equal([]);
    await askForLink(browser(t.app), "carol");
    expect(await resetTokenOf((await resetMailsTo(t, CAROL))[0]!, first.privateKey)).to.match(/^[A-Za-z0-9_-]{20,}$/);

    expect(await setLoginKey(t, carolId, second.publicKey, carol)).to.deep.equal([]);
    await askForLink(browser(t.app), "carol");

    const mails = await resetMailsTo(t, CAROL);
    expect(mails).to.have.length(2);
    expect(mails[1]!.encrypted).to.equal(true);
    expect(await resetTokenOf(mails[1]!, second.privateKey)).to.match(/^[A-Za-z0-9_-]{20,}$/);
    let refusal: unknown = null;
    await decryptPgpMime(mails[1]!.message, first.privateKey).catch((err: unknown) => (refusal = err));
    expect(refusal, "the replaced key cannot open the new mail").to.be.instanceOf(Error);
  });

  it("checks a kept key's expiry at every use: usable before it expires, refused after", async () => {
    const { publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ email: CAROL }], format: "armored", date: keyDateFor(t.clock), keyExpirationTime: 3600 });
    const now = t.clock.now();

    expect((await usableRecipientKey(CAROL, publicKey, now)).getFingerprint()).to.equal((await openpgp.readKey({ armoredKey: publicKey })).getFingerprint());
    const later = new Date(now.getTime() + 2 * 3600_000);
    let refusal: unknown = null;
    await usableRecipientKey(CAROL, publicKey, later).catch((err: unknown) => (refusal = err));
    expect(String(refusal)).to.include("no valid encryption key");
    expect(await usableRecipientKey(CAROL, publicKey, now), "the same key object again, still usable now").to.equal(await usableRecipientKey(CAROL, publicKey, now));
  });
});
