import { createHash } from "node:crypto";
import { expect } from "chai";
import { composePlain, composeSealed } from "../../../src/platform/mail/compose.js";
import { enqueue } from "../../../src/platform/mail/outbox-store.js";
import { newDeliveryPassphrase } from "../../../src/resets/delivery-passphrase.js";
import { keylessTemporaryPasswordMail } from "../../../src/resets/keyless-mail.js";
import { generateRandomPassword } from "../../../src/identity/index.js";
import { postForm } from "../../support/forms.js";
import { outboxRow } from "../../support/mail.js";
import { signedIn } from "../../support/sign-in.js";
import type { TestApp } from "../../support/test-app.js";
import { useTestApp } from "../../support/use-test-app.js";

const PRIMARY = { email: "primary@acme.example", displayName: "Paula Primary" };
const CTX = { ticketId: 7, accountName: "Acme Ltd", primaryUsername: "ACM0001" };
const sha256 = (raw: string) => createHash("sha256").update(raw, "utf8").digest("hex");

async function queueKeyless(t: TestApp, password: string, passphrase: string): Promise<number> {
  const composed = await keylessTemporaryPasswordMail(t.mailer, t.clock, CTX, PRIMARY, password, passphrase, new Date(t.clock.now().getTime() + 3600_000));
  return enqueue(t.db, composed, t.clock.now());
}

/** Issue 14 item 5: once a mail carrying a secret is sent, nobody at the desk can open it. */
describe("mail carrying a secret, after it is sent", () => {
  const t = useTestApp({ smtp: true });

  it("leaves no copy of the sealed message in the database files (SQLite: secure_delete and a WAL checkpoint after the send)", async () => {
    const id = await queueKeyless(t, generateRandomPassword(), newDeliveryPassphrase());
    const sealed = (await outboxRow(t.db, id)).message;
    // A line from the middle of the sealed armour: what a copy of the files would give up.
    const line = sealed.split("\n").find((l, i) => i > 5 && l.length >= 60)!;
    expect(await t.leaks(line), "before sending, the sealed copy is there").to.equal(true);
    await t.deliverMail();
    expect((await outboxRow(t.db, id)).status).to.equal("sent");
    // On SQLite the files themselves; on PostgreSQL every row (old row versions wait for VACUUM: README).
    expect(await t.leaks(line), "after sending").to.equal(false);
  });

  it("keeps the headers and the SHA-256 of what the server received, not the message; a plain mail is kept whole", async () => {
    const password = generateRandomPassword();
    const passphrase = newDeliveryPassphrase();
    const keyless = await queueKeyless(t, password, passphrase);
    const now = t.clock.now();
    const plain = await enqueue(t.db, await composePlain(t.mailer.sender, { to: "x@acme.example", subject: "Plain", template: "test", text: "Nothing secret.\n", html: null }, now), now);
    const link = await enqueue(t.db, await composeSealed(t.mailer.sender, { to: "y@acme.example", subject: "Link", template: "set-password", text: "https://desk/link/abc\n" }, t.mailer.deskKey, now), now);
    await t.deliverMail();

    const received = (to: string) => t.sink.received.find((m) => m.to.includes(to))!.raw;
    const keylessRow = await outboxRow(t.db, keyless);
    expect(keylessRow.status).to.equal("sent");
    expect(keylessRow.message, "only the headers").to.equal(received(PRIMARY.email).split("\r\n\r\n")[0]);
    expect(keylessRow.message).to.include("Subject: Your Vouchdesk temporary password").and.not.include("PGP MESSAGE");
    expect((keylessRow as unknown as { sent_sha256: string }).sent_sha256).to.equal(sha256(received(PRIMARY.email)));

    const linkRow = await outboxRow(t.db, link);
    expect(linkRow.message).to.equal(received("y@acme.example").split("\r\n\r\n")[0]);
    expect((linkRow as unknown as { sent_sha256: string }).sent_sha256).to.equal(sha256(received("y@acme.example")));

    const plainRow = await outboxRow(t.db, plain);
    expect(plainRow.message.replace(/\r?\n/g, "\r\n"), "the whole message (line ends as on the wire)").to.equal(received("x@acme.example"));
    expect((plainRow as unknown as { sent_sha256: string | null }).sent_sha256).to.equal(null);
    for (const secret of [password, passphrase, "https://desk/link/abc"]) expect(await t.leaks(secret), secret).to.equal(false);
  });

  it("keeps a mail not yet sent sealed to the desk, and says so in the mail log", async () => {
    const id = await queueKeyless(t, generateRandomPassword(), newDeliveryPassphrase());
    const row = await outboxRow(t.db, id);
    expect(row.message).to.match(/^-----BEGIN PGP MESSAGE-----/);
    expect(row.message).to.not.include("Subject:");
    expect((row as unknown as { sent_sha256: string | null }).sent_sha256).to.equal(null);
    const admin = await signedIn(t, "admin");
    const page = (await admin.get(`/admin/mail/${id}`).expect(200)).text;
    expect(page).to.include("a temporary password locked with a passphrase given on the phone");
    expect(page).to.include("an OpenPGP message locked with a passphrase read to the recipient on the phone");
    expect(page).to.not.include("BEGIN PGP MESSAGE");
  });

  it("shows in the mail log that the message was not kept, with its digest, and refuses to retry it", async () => {
    const id = await queueKeyless(t, generateRandomPassword(), newDeliveryPassphrase());
    await t.deliverMail();
    const digest = sha256(t.sink.received[0]!.raw);
    const admin = await signedIn(t, "admin");
    const log = (await admin.get("/admin/mail").expect(200)).text;
    expect(log).to.include('title="Sent; only its headers and SHA-256 digest were kept">message not kept</span>');
    const page = (await admin.get(`/admin/mail/${id}`).expect(200)).text;
    expect(page).to.include("Not kept. This mail carried a secret");
    expect(page).to.include(`<code class="digest">${digest}</code>`);
    expect(page).to.include("Subject: Your Vouchdesk temporary password");
    expect(page).to.not.include(">Retry</button>");

    const retried = await postForm(admin, `/admin/mail/${id}/retry`, {}, `/admin/mail/${id}`);
    expect(retried.status).to.equal(303);
    const after = (await admin.get(`/admin/mail/${id}`).expect(200)).text;
    expect(after).to.include(`Mail #${id} is sent; only failed or dead mail can be retried.`);
    const row = await outboxRow(t.db, id);
    expect(row.status).to.equal("sent");
    expect(row.attempts).to.equal(1);
    await t.deliverMail();
    expect(t.sink.received).to.have.length(1);
  });
});
