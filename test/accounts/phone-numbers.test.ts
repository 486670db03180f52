import { expect } from "chai";
import { internationalPhone, parsePhone } from "../../src/accounts/index.js";
import type { Db } from "../../src/shared/db.js";
import { seedTickets } from "../../src/dev/seed-tickets.js";
import { up as migratePhones } from "../../migrations/20261204_05_phone_e164.js";
import type { Agent } from "../support/http.js";
import { signedIn } from "../support/sign-in.js";
import { postForm } from "../support/forms.js";
import { count, type Row } from "../support/rows.js";
import { auditRows } from "../support/audit.js";
import { useTestApp } from "../support/use-test-app.js";
import { callBack, deskPage, openRequest } from "../resets/helpers.js";
import { changeContactPhone, recordChanges } from "./helpers.js";

const acmeId = async (t: { db: Db }) => Number(((await t.db("accounts").where({ code: "ACM" }).first("id")) as Row).id);

describe("phone numbers: checked by libphonenumber, stored in E.164, shown international as tel: links", () => {
  describe("parsePhone", () => {
    it("reads the ways people write an international number as one E.164 number", () => {
      for (const typed of ["+44 20 7946 0123", "+44 (20) 7946-0123", " +442079460123 ", "0044 20 7946 0123", "+44.20.7946.0123", "+44 20/7946 0123"]) {
        expect(parsePhone(typed), typed).to.deep.equal({ ok: true, e164: "+442079460123" });
      }
      expect(parsePhone("+1 202 555 0123")).to.deep.equal({ ok: true, e164: "+12025550123" });
      expect(parsePhone("+49 30 123456")).to.deep.equal({ ok: true, e164: "+4930123456" });
    });

    it("names why a number is refused: no country code, stray characters, not a number of that country", () => {
      const problem = (typed: string) => {
        const parsed = parsePhone(typed);
        expect(parsed.ok, typed).to.equal(false);
        return parsed.ok ? "" : parsed.problem;
      };
      // A national number needs its country: the desk never guesses a region.
      expect(problem("020 7946 0123")).to.equal("Start the number with + and its country code, like +44 20 7946 0001.");
      expect(problem("abc")).to.match(/^Start the number with \+/);
      expect(problem("+44 20 7946 0123 ext. 12")).to.match(/^A phone number holds only digits/).and.include("extension");
      expect(problem("+44 20 7946 0123 call after 5")).to.match(/^A phone number holds only digits/);
      expect(problem("+0 20 7946 0003")).to.equal("That is not a phone number: check the country code and the digits.");
      expect(problem("+44 20 7946")).to.equal("That is not a valid number for the country code +44: check the digits.");
      // 020 2… is no London number: a pattern of digits would have taken it.
      expect(problem("+44 20 2000 0000")).to.equal("That is not a valid number for the country code +44: check the digits.");
    });

    it("shows a stored number in international form, and none for a stored one that is not valid", () => {
      expect(internationalPhone("+442079460001")).to.equal("+44 20 7946 0001");
      expect(internationalPhone("+12025550123")).to.equal("+1 202 555 0123");
      expect(internationalPhone("+442020000000")).to.equal(null);
    });
  });

  describe("the admin's contact forms and the pages", () => {
    const t = useTestApp();
    let admin: Agent;
    beforeEach(async () => {
      admin = await signedIn(t, "admin");
    });

    const addContact = async (form: Record<string, string>) => postForm(admin, `/admin/accounts/${await acmeId(t)}/contacts`, { kind: "secondary", email: "", ...form }, `/admin/accounts/${await acmeId(t)}`);

    it("refuses an invalid number with a 400 that names it next to the field, and changes nothing", async () => {
      const before = { contacts: await count(t, "contacts"), changes: (await recordChanges(t)).length, audit: (await auditRows(t)).length, outbox: await count(t, "outbox") };
      for (const [phone, problem] of [
        ["020 7946 0123", "Start the number with + and its country code"],
        ["+44 20 2000 0000", "That is not a valid number for the country code +44"],
        ["+44 20 7946 0123 ext 4", "A phone number holds only digits"],
      ] as const) {
        const res = await addContact({ name: "Hal Hughes", phone });
        expect(res.status, phone).to.equal(400);
        // The problem sits next to the phone field, which keeps what was typed.
        expect(res.text, phone).to.match(new RegExp(`id="contact-phone-problem">${problem.replace(/[+]/g, "\\+")}`));
        expect(res.text, phone).to.include(`value="${phone}"`);
      }
      const paula = (await t.db("contacts").where({ name: "Paula Primary" }).first()) as Row;
      const edit = await changeContactPhone(t, admin, "Paula Primary", "+44 20 7946 000");
      expect(edit.status).to.equal(400);
      expect(edit.text).to.include("That is not a valid number for the country code +44: check the digits.");
      expect((await t.db("contacts").where({ id: paula.id }).first()) as Row).to.deep.equal(paula);
      expect({ contacts: await count(t, "contacts"), changes: (await recordChanges(t)).length, audit: (await auditRows(t)).length, outbox: await count(t, "outbox") }).to.deep.equal(before);
    });

    it("stores a number written with 00 and separators in E.164, and the same number written again is no change", async () => {
      expect((await addContact({ name: "Hal Hughes", phone: "0044 (20) 7946-0042" })).status).to.equal(303);
      expect(((await t.db("contacts").where({ name: "Hal Hughes" }).first("phone")) as Row).phone).to.equal("+442079460042");
      const changes = (await recordChanges(t)).length;
      expect((await changeContactPhone(t, admin, "Hal Hughes", "+44 20 7946 0042")).status).to.equal(303);
      expect((await recordChanges(t)).length).to.equal(changes);
    });

    it("shows numbers in international form as tel: links on the account page and the reset panel, and the callback dials E.164", async () => {
      const account = await admin.get(`/admin/accounts/${await acmeId(t)}`).expect(200);
      expect(account.text).to.include('<a class="phone" href="tel:+442079460001">+44 20 7946 0001</a>');
      expect(account.text).to.include('<a class="phone" href="tel:+442079460002">+44 20 7946 0002</a>');
      const edit = await admin.get(`/admin/contacts/${Number(((await t.db("contacts").where({ name: "Paula Primary" }).first("id")) as Row).id)}`).expect(200);
      expect(edit.text).to.include('value="+44 20 7946 0001"');

      const ticketId = await openRequest(t);
      const alice = await signedIn(t, "alice");
      const panel = await alice.get(deskPage(ticketId)).expect(200);
      expect(panel.text).to.include('<a class="phone" href="tel:+442079460001">+44 20 7946 0001</a>');
      expect(panel.text).to.include("Paula Primary — +44 20 7946 0001</option>");

      expect((await callBack(t, alice, ticketId, "no_answer")).status).to.equal(303);
      expect(((await t.db("callbacks").first("phone_dialled")) as Row).phone_dialled).to.equal("+442079460001");
      const after = await alice.get(deskPage(ticketId)).expect(200);
      expect(after.text).to.include('Paula Primary at <a class="phone" href="tel:+442079460001">+44 20 7946 0001</a>');
      expect(after.text).to.include("Callback to Paula Primary at +44 20 7946 0001: ");
    });

    it("the migration writes stored numbers in E.164 and leaves, marked on the page, the ones that are not valid", async () => {
      const accountId = await acmeId(t);
      const at = new Date(t.clock.now().getTime() - 86_400_000 * 30);
      const stored = { "Old Spaced": "+44 20 7946 0051", "Old Zeros": "0044 20 7946 0052", "Old National": "020 7946 0053", "Old Invalid": "+442020000000" };
      for (const [name, phone] of Object.entries(stored)) {
        await t.db("contacts").insert({ account_id: accountId, name, kind: "secondary", phone, phone_changed_at: at, authorised_for_support: false, created_at: at, updated_at: at });
      }
      await migratePhones(t.db);
      const rows: Record<string, Row> = Object.fromEntries(((await t.db("contacts").whereIn("name", Object.keys(stored)).select("name", "phone", "phone_changed_at")) as Row[]).map((r) => [r.name as string, r]));
      expect(Object.fromEntries(Object.entries(rows).map(([name, r]) => [name, r.phone]))).to.deep.equal({
        "Old Spaced": "+442079460051",
        "Old Zeros": "+442079460052",
        "Old National": "020 7946 0053",
        "Old Invalid": "+442020000000",
      });
      // The same number written otherwise is no change of the records: its change time stays.
      for (const r of Object.values(rows)) expect(new Date(r.phone_changed_at as string).getTime()).to.equal(at.getTime());
      const page = await admin.get(`/admin/accounts/${accountId}`).expect(200);
      expect(page.text).to.include('<span class="phone">020 7946 0053</span> <span class="badge badge-failed">not a valid number</span>');
      expect(page.text).to.include('<a class="phone" href="tel:+442079460051">+44 20 7946 0051</a>');
    });

    it("demo and seed data hold only valid E.164 numbers", async () => {
      await seedTickets(t.db, { tickets: 400, accounts: 40, seed: 16 });
      const phones = ((await t.db("contacts").whereNotNull("phone").pluck("phone")) as string[]);
      expect(phones.length).to.be.greaterThan(80);
      for (const phone of phones) expect(parsePhone(phone), phone).to.deep.equal({ ok: true, e164: phone });
    });
  });
});
