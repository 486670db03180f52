import { expect } from "chai";
import { testMessageMail } from "../../../src/platform/mail/mailer.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import { approve, callBack, openRequest } from "../../resets/helpers.js";
import { signedIn } from "../../support/sign-in.js";
import { useTestApp } from "../../support/use-test-app.js";

/** The values of one header in a message's top-level header block (not in its MIME parts). */
function topLevelHeader(raw: string, name: string): string[] {
  const head = raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  return head
    .split("\r\n")
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());
}

describe("automated mail is marked Auto-Submitted (RFC 3834)", function () {
  this.timeout(30_000);
  const t = useTestApp({ env: { LOG_LEVEL: "silent" }, smtp: true });
  const sink = t.sink;

  it("carries Auto-Submitted: auto-generated on plain, sealed and PGP/MIME mail as the SMTP server receives it", async () => {
    // A reset request mails sealed objection links; its approval mails the encrypted temporary password.
    const ticketId = await openRequest(t);
    await callBack(t, await signedIn(t, "alice"), ticketId, "confirmed");
    expect((await approve(await signedIn(t, "bob"), ticketId)).status).to.equal(303);
    // The settings page's test message: plain text with an HTML alternative.
    const test = await testMessageMail(t.mailer, t.clock, "helen.hughes@example.com", "admin");
    await t.db.transaction((trx) => enqueue(trx, test, t.clock.now()));
    await t.deliverMail();

    const kinds = (await t.db("outbox").select("encrypted", "sealed", "status")) as { encrypted: unknown; sealed: unknown; status: string }[];
    expect(kinds.every((k) => k.status === "sent"), JSON.stringify(kinds)).to.equal(true);
    expect(kinds.some((k) => Boolean(k.encrypted)), "a PGP/MIME mail").to.equal(true);
    expect(kinds.some((k) => Boolean(k.sealed)), "a sealed mail").to.equal(true);
    expect(kinds.some((k) => !k.encrypted && !k.sealed), "a plain mail").to.equal(true);

    expect(sink.received).to.have.length(kinds.length);
    for (const mail of sink.received) {
      expect(topLevelHeader(mail.raw, "Auto-Submitted"), `${mail.to.join(", ")}: ${topLevelHeader(mail.raw, "Subject")[0]}`).to.deep.equal(["auto-generated"]);
    }
    const parsed = await sink.parsed(sink.received.length - 1);
    expect(parsed.headers.get("auto-submitted")).to.equal("auto-generated");
  });
});
