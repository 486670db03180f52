import { startTestApp } from "../support/test-app.js";
import { composeEncrypted } from "../../src/mail/compose.js";
import { usableRecipientKey } from "../../src/mail/pgp.js";
import * as openpgp from "openpgp";
const rec = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ email: "a@b.example" }], format: "armored", date: new Date(Date.now() - 3600_000) });
const t = await startTestApp();
const now = t.clock.now();
const created = (t.mailer.deskKey.privateKey.getCreationTime());
let r = "ok";
try { await composeEncrypted(t.mailer.sender, { to: "a@b.example", subject: "s", template: "t", text: "x" }, await usableRecipientKey("a@b.example", rec.publicKey, now), t.mailer.deskKey, now); } catch (e) { r = String(e); }
console.log("clock", now.toISOString(), "deskkey created", created.toISOString(), r);
await t.close();
