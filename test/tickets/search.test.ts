import { expect } from "chai";
import type { Knex } from "knex";
import { migrationSource } from "../../migrations/index.js";
import { addContact, findAccountByCode, findContact, removeContact, updateContact } from "../../src/accounts/index.js";
import { seedTickets } from "../../src/dev/seed-tickets.js";
import { isPostgres, type Db } from "../../src/shared/db.js";
import { queuePage } from "../../src/tickets/queue-store.js";
import { searchWords } from "../../src/tickets/search-terms.js";
import type { Agent } from "../support/http.js";
import { browsers } from "../support/sign-in.js";
import type { TestApp } from "../support/test-app.js";
import { useTestApp } from "../support/use-test-app.js";
import { actorFor } from "../support/users.js";
import { act, addBetaAccount, listedIds, openTicket } from "./helpers.js";

const deps = (t: TestApp) => ({ db: t.db, clock: t.clock, mailer: t.mailer });

/** The ticket numbers a staff search finds, all pages, straight from the store (a transaction sees its own writes). */
async function staffSearch(db: Db, q: string): Promise<number[]> {
  const ids: number[] = [];
  let after;
  do {
    const page = await queuePage(db, { text: { words: searchWords(q), audience: "staff" }, after });
    ids.push(...page.rows.map((r) => r.id));
    after = page.next ? { updatedAt: page.rows.at(-1)!.updatedAt, id: page.rows.at(-1)!.id } : undefined;
  } while (after);
  return ids.sort((a, b) => a - b);
}

describe("search (/desk?q= and /tickets?q=): every field, through the full-text indexes", () => {
  const t = useTestApp({ once: true });
  let as: (username: string) => Promise<Agent>;
  let alice: Agent;
  /** printer: carol's (ACM); invoice: erin's (BET); refund: dave's (ACM). */
  const ticket = { printer: 0, invoice: 0, refund: 0 };

  before(async () => {
    await addBetaAccount(t);
    as = browsers(t);
    alice = await as("alice");
    ticket.printer = await openTicket(await as("carol"), { subject: "Printer jams on tray two", body: "Paper crumples at the fuser." });
    ticket.invoice = await openTicket(await as("erin"), { type: "general", subject: "Invoice copy needed", body: "Please resend the March statement." });
    ticket.refund = await openTicket(await as("dave"), { type: "non_technical", subject: "Refund for duplicate payment", body: "We paid order 58213 twice." });
    await act(alice, `/desk/tickets/${ticket.printer}/replies`, { body: "Please try the quokka firmware." }, `/desk/tickets/${ticket.printer}`);
    await act(alice, `/desk/tickets/${ticket.invoice}/notes`, { body: "Suspect chargeback from Zanzibar." }, `/desk/tickets/${ticket.invoice}`);
    const beta = (await findAccountByCode(t.db, "BET"))!;
    const added = await addContact(deps(t), beta.id, { name: "Paula Quince", kind: "secondary", email: "paula.quince@beta.example", phone: "+442079460123", authorisedForSupport: false, userId: null }, await actorFor(t, "admin"));
    expect(added.ok).to.equal(true);
  });

  /** The ticket numbers /desk lists for a search (first page: these searches find a handful). */
  async function desk(q: string, agent = alice): Promise<number[]> {
    const res = await agent.get(`/desk?q=${encodeURIComponent(q)}`);
    expect(res.status, `${q}: ${res.text.slice(0, 300)}`).to.equal(200);
    return listedIds(res.text, "/desk/tickets").sort((a, b) => a - b);
  }

  const acme = () => [ticket.printer, ticket.refund].sort((a, b) => a - b);
  const cases: [string, string, () => number[]][] = [
    ["ticket number with #", "#NUMBER", () => [ticket.invoice]],
    ["subject word", "jams", () => [ticket.printer]],
    ["subject words in any case, across fields in any order", "TRAY printer", () => [ticket.printer]],
    ["the customer's first message", "fuser", () => [ticket.printer]],
    ["a number in a message", "58213", () => [ticket.refund]],
    ["an agent's public reply", "quokka", () => [ticket.printer]],
    ["an internal note (agents only)", "zanzibar", () => [ticket.invoice]],
    ["requester display name", "Dave Smith", () => [ticket.refund]],
    ["requester username", "erin", () => [ticket.invoice]],
    ["requester email, whole", "dave@acme.example", () => [ticket.refund]],
    ["account code", "BET", () => [ticket.invoice]],
    ["account name", "Acme Corp", acme],
    ["contact name", "Quince", () => [ticket.invoice]],
    ["contact email", "paula.quince@beta.example", () => [ticket.invoice]],
    ["a word's start typed with *, as in Zendesk", "Quin*", () => [ticket.invoice]],
    ["a first name shared by contacts of both accounts, by prefix", "Paul*", () => [...acme(), ticket.invoice].sort((a, b) => a - b)],
    ["the start of a word without *: words are whole", "Quin", () => []],
    ["a * after one letter matches that letter whole, not every word it begins", "q*", () => []],
    ["phone in international form", "+44 20 7946 0123", () => [ticket.invoice]],
    ["phone as dialled at home", "020 7946 0123", () => [ticket.invoice]],
    ["phone in another layout", "(020) 7946-0123", () => [ticket.invoice]],
    ["phone with 00", "0044 20 7946 0123", () => [ticket.invoice]],
    ["phone digits run together", "2079460123", () => [ticket.invoice]],
    ["phone in E.164, as stored and as a tel: link holds it", "+442079460123", () => [ticket.invoice]],
    ["the start of a number common to both accounts", "020 7946", () => [...acme(), ticket.invoice].sort((a, b) => a - b)],
    ["Paula Primary's number (ACM)", "+44 20 7946 0001", acme],
    ["words that are each found, but not on one ticket", "jams erin", () => []],
    ["a word found nowhere", "xylophone", () => []],
    ["a short number is no phone number", "4420", () => []],
  ];
  for (const [name, q, want] of cases) {
    it(`finds by ${name} ("${q}"), and no other ticket`, async () => {
      expect(await desk(q.replace("NUMBER", String(ticket.invoice)))).to.deep.equal(want());
    });
  }

  it("a bare number finds that ticket; with * also any ticket with a word starting with it", async () => {
    expect(await desk(String(ticket.refund))).to.include(ticket.refund);
    expect(await desk("5821*")).to.deep.equal([ticket.refund]);
  });

  it("combines the text with the queue's filters (status, type, assignee, account)", async () => {
    expect(await desk("Paul*")).to.have.length(3);
    const listed = async (query: string) => listedIds((await alice.get(`/desk?${query}`).expect(200)).text, "/desk/tickets");
    expect(await listed("q=Paul*&account=BET")).to.deep.equal([ticket.invoice]);
    expect(await listed("q=Paul*&type=non_technical")).to.deep.equal([ticket.refund]);
    expect(await listed("q=Paul*&status=closed")).to.deep.equal([]);
    expect(await listed("q=Paul*&assignee=me")).to.deep.equal([]);
  });

  describe("FTS syntax typed into the box is plain text: never a 400 or a 500", () => {
    const typed = ['"', "'", "*", "jams*", '"jams"', "-jams", "jams:", "subject:jams", "{subject}: jams", "NEAR(jams tray)", "jams NEAR tray", "jams AND", "OR", "NOT jams", "jams OR erin", "(", ")", "^jams", "+jams", "jams -tray", "\\", "%", "_", ";", "--", "&", "|", "!", "<->", ":*", "'jams':*A", "@@", "$$", "ﬁ", "é", "日本"];
    for (const q of typed) {
      it(JSON.stringify(q), async () => {
        const res = await alice.get(`/desk?q=${encodeURIComponent(q)}`);
        expect(res.status, res.text.slice(0, 300)).to.equal(200);
        expect(res.text).to.not.include("Something went wrong");
      });
    }

    it("operators are words, not operators: quotes, * and - around a word still find it; OR and NOT are not operators", async () => {
      for (const q of ['"jams"', "jams*", "-jams", "jams:", "(jams)", "jams!"]) expect(await desk(q), q).to.deep.equal([ticket.printer]);
      expect(await desk("jams OR erin"), "OR").to.deep.equal([]);
      expect(await desk("NOT jams"), "NOT").to.deep.equal([]);
      expect(await desk("***"), "only punctuation finds nothing").to.deep.equal([]);
    });
  });

  describe("what a customer's search can reach", () => {
    const mine = async (username: string, q: string) => {
      const res = await (await as(username)).get(`/tickets?q=${encodeURIComponent(q)}`);
      expect(res.status, res.text.slice(0, 300)).to.equal(200);
      return listedIds(res.text, "/tickets");
    };

    it("never matches an internal note, though the ticket is the customer's and agents find it", async () => {
      expect(await desk("zanzibar")).to.deep.equal([ticket.invoice]);
      expect(await mine("erin", "zanzibar")).to.deep.equal([]);
      expect(await mine("BET0001", "zanzibar")).to.deep.equal([]);
      expect(await mine("erin", "invoice")).to.deep.equal([ticket.invoice]);
      expect(await mine("erin", "statement")).to.deep.equal([ticket.invoice]);
    });

    it("finds public replies, and only the customer's own tickets", async () => {
      expect(await mine("carol", "quokka")).to.deep.equal([ticket.printer]);
      expect(await mine("carol", "invoice")).to.deep.equal([]);
      expect(await mine("carol", "refund"), "a secondary sees only its own").to.deep.equal([]);
      expect(await mine("ACM0001", "refund"), "the primary sees its account's").to.deep.equal([ticket.refund]);
    });

    it("never reaches the account's records: its contacts' numbers and addresses, its logins, its name find nothing", async () => {
      // Paula Quince is a contact of BET: staff find BET's tickets by her number and address, erin (of BET) nothing.
      expect(await desk("+44 20 7946 0123")).to.deep.equal([ticket.invoice]);
      for (const q of ["+44 20 7946 0123", "2079460123", "paula.quince@beta.example", "Quince", "BET", "erin"]) {
        expect(await mine("erin", q), q).to.deep.equal([]);
        expect(await mine("BET0001", q), q).to.deep.equal([]);
      }
    });

    it("a customer cannot search the desk", async () => {
      const res = await (await as("erin")).get("/desk?q=zanzibar");
      expect(res.status).to.equal(403);
      expect(listedIds(res.text, "/desk/tickets")).to.deep.equal([]);
    });
  });

  describe("kept in step with the writes", () => {
    it("a new message, an account's new name and a contact's change are found at once", async () => {
      await act(alice, `/desk/tickets/${ticket.refund}/replies`, { body: "Refund sent as wombat credit." }, `/desk/tickets/${ticket.refund}`);
      expect(await desk("wombat")).to.deep.equal([ticket.refund]);

      const admin = await as("admin");
      const beta = (await findAccountByCode(t.db, "BET"))!;
      await act(admin, `/admin/accounts/${beta.id}`, { name: "Gamma Widgets" }, `/admin/accounts/${beta.id}`);
      expect(await desk("widgets")).to.deep.equal([ticket.invoice]);
      expect(await desk("Beta Ltd"), "the old name is gone").to.deep.equal([]);

      const contact = (await t.db("contacts").where({ name: "Paula Quince" }).first("id")) as { id: number };
      const before = (await findContact(t.db, Number(contact.id)))!;
      const changed = await updateContact(deps(t), before, { name: "Paula Quarrie", kind: "secondary", email: "paula.quarrie@beta.example", phone: "+442079469999", authorisedForSupport: false, userId: null }, await actorFor(t, "admin"));
      expect(changed.ok).to.equal(true);
      expect(await desk("Quarrie")).to.deep.equal([ticket.invoice]);
      expect(await desk("020 7946 9999")).to.deep.equal([ticket.invoice]);
      expect(await desk("Quince"), "the old name is gone").to.deep.equal([]);
      expect(await desk("020 7946 0123"), "the old number is gone").to.deep.equal([]);

      await removeContact(deps(t), Number(contact.id), await actorFor(t, "admin"));
      expect(await desk("Quarrie"), "a removed contact is gone").to.deep.equal([]);
    });

    it("in the writing transaction: seen inside it, gone with its rollback", async () => {
      const rollback = new Error("roll back");
      const seen = await t.db
        .transaction(async (trx) => {
          await trx("ticket_events").where({ ticket_id: ticket.printer, kind: "reply" }).update({ body: "Now it says platypus." });
          await trx("users").where({ username: "dave" }).update({ display_name: "Dave Echidna" });
          const found = { platypus: await staffSearch(trx, "platypus"), echidna: await staffSearch(trx, "echidna") };
          throw Object.assign(rollback, { found });
        })
        .catch((err: Error & { found?: unknown }) => (err === rollback ? err.found : Promise.reject(err)));
      expect(seen).to.deep.equal({ platypus: [ticket.printer], echidna: [ticket.refund] });
      expect(await staffSearch(t.db, "platypus")).to.deep.equal([]);
      expect(await staffSearch(t.db, "echidna")).to.deep.equal([]);
      expect(await staffSearch(t.db, "Dave Smith")).to.deep.equal([ticket.refund]);
    });
  });
});

describe("search at size: the indexes are what the query reads", function () {
  this.timeout(120_000);
  const t = useTestApp({ once: true });

  before(async () => {
    // FTS5 tables are always read through their index; PostgreSQL's planner prefers a GIN index
    // to reading the table once the table is large enough (after ANALYZE): 50,000 tickets here.
    await seedTickets(t.db, { tickets: isPostgres(t.db) ? 50_000 : 6_000, seed: 16 });
    // A word in a handful of messages: for a word in one message in twenty (a common surname) a
    // whole-table read can honestly be cheaper, and which way the planner goes then depends on
    // ANALYZE's random sample. For a rare word the index is the only sensible plan.
    const few = t.db("ticket_events").select("id").orderBy("id").limit(5);
    await t.db("ticket_events").whereIn("id", few).update({ body: "A quokka sat on the keyboard." });
    // ANALYZE reads a random sample of 300 × the statistics target rows; with the target at its
    // maximum it reads every row here, so the statistics, and the planner's choice, are the same
    // at every run.
    if (isPostgres(t.db)) await t.db.raw("ALTER TABLE ticket_events ALTER COLUMN search_doc SET STATISTICS 10000");
    // VACUUM too, on PostgreSQL: it empties the GIN indexes' pending lists and records their
    // sizes, both of which the planner prices; left to autovacuum, they depend on when it ran.
    await t.db.raw(isPostgres(t.db) ? "VACUUM ANALYZE" : "ANALYZE");
  });

  /** The SQL queuePage sends for a search, with its bindings. */
  async function searchSql(q: string): Promise<{ sql: string; bindings: unknown[] }> {
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const listen = (s: { sql: string; bindings: unknown[] }) => void sent.push(s);
    t.db.on("query", listen);
    await queuePage(t.db, { text: { words: searchWords(q), audience: "staff" } });
    t.db.off("query", listen);
    // SQLite first counts each word's matches, at most a few thousand (broad or narrow, see queue-store.ts).
    expect(sent).to.have.length(isPostgres(t.db) ? 1 : 2);
    return sent.at(-1)!;
  }

  async function plan(q: string): Promise<string> {
    const { sql, bindings } = await searchSql(q);
    if (isPostgres(t.db)) {
      const rows = (await t.db.raw(`EXPLAIN ${sql.replace(/\$\d+/g, "?")}`, bindings as never)) as { rows: { "QUERY PLAN": string }[] };
      return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
    }
    const rows = (await t.db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings as never)) as { detail: string }[];
    return rows.map((r) => r.detail).join("\n");
  }

  it("reads every source through its full-text index, and the tickets by primary key: no scan of a table", async () => {
    // A phone-shaped search reads every index, the contacts' phone part too.
    const p = await plan("+44 20 7946 0123 ");
    const word = await plan("quokka");
    if (isPostgres(t.db)) {
      // The messages, the largest table, through its GIN index; the tickets themselves by primary key.
      expect(word, word).to.match(/Bitmap Index Scan on ticket_event_search\b/);
      expect(p, p).to.match(/Bitmap Index Scan on ticket_event_search\b/);
      expect(word, word).to.not.match(/Seq Scan on ticket_events\b/);
      expect(word, word).to.match(/Index Scan using tickets_pkey on tickets/);
      // The smaller tables are read whole while that is cheaper (the planner's choice, by its statistics); every GIN index serves once it is not.
      const { sql, bindings } = await searchSql("quokka");
      const forced = await t.db.transaction(async (trx) => {
        // Whole-table reads off, plain index scans too (a primary key read whole would stand in for a table scan).
        await trx.raw("SET LOCAL enable_seqscan = off");
        await trx.raw("SET LOCAL enable_indexscan = off");
        const rows = (await trx.raw(`EXPLAIN ${sql.replace(/\$\d+/g, "?")}`, bindings as never)) as { rows: { "QUERY PLAN": string }[] };
        return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
      for (const index of ["ticket_search", "ticket_event_search", "user_search", "account_search", "contact_search"]) expect(forced, forced).to.match(new RegExp(`Bitmap Index Scan on ${index}\\b`));
    } else {
      for (const fts of ["ticket_search", "ticket_event_search", "user_search", "account_search", "contact_search"]) {
        expect(word, word).to.match(new RegExp(`SCAN ${fts} VIRTUAL TABLE INDEX`));
        expect(p, p).to.match(new RegExp(`SCAN ${fts} VIRTUAL TABLE INDEX`));
      }
      expect(word, word).to.not.match(/SCAN (tickets|ticket_events|users|accounts|contacts)\b(?! USING)/);
      expect(word).to.match(/SEARCH tickets USING INTEGER PRIMARY KEY/);
    }
  });

  describe("a broad word (on more tickets than a page's worth of lookups)", () => {
    /** 2,500 tickets, every other one of the oldest 5,000 ids, get the word in their subject. */
    const BROAD = 2_500;
    before(async () => {
      const ids = (await t.db("tickets").select("id").orderBy("id").limit(2 * BROAD)).map((r: { id: number }) => r.id).filter((_, i) => i % 2 === 0);
      for (let i = 0; i < ids.length; i += 500) await t.db("tickets").whereIn("id", ids.slice(i, i + 500)).update({ subject: t.db.raw("subject || ' walrus'") });
    });

    /** What the page must hold, by a plain scan of the subjects: the newest activity first. */
    const expected = async (extra: (q: Knex.QueryBuilder) => void = () => {}) => {
      const q = t.db("tickets").where("subject", "like", "% walrus").orderBy([{ column: "updated_at", order: "desc" }, { column: "id", order: "desc" }]);
      extra(q);
      return (await q.select("id")).map((r: { id: number }) => r.id);
    };

    it("lists the newest activity first, the same tickets a scan finds, on every page", async () => {
      const want = await expected();
      expect(want).to.have.length(BROAD);
      const first = await queuePage(t.db, { text: { words: searchWords("walrus"), audience: "staff" } });
      expect(first.rows.map((r) => r.id)).to.deep.equal(want.slice(0, 50));
      expect(await staffSearch(t.db, "walrus")).to.deep.equal([...want].sort((a, b) => a - b));
    });

    it("combines with a view's scope and with a narrow word", async () => {
      const open = await queuePage(t.db, { scope: { notClosed: true }, text: { words: searchWords("walrus"), audience: "staff" } });
      expect(open.rows.map((r) => r.id)).to.deep.equal((await expected((q) => q.whereNot("status", "closed"))).slice(0, 50));
      const both = await queuePage(t.db, { text: { words: searchWords("walrus lopez"), audience: "staff" } });
      const lopez = new Set(await staffSearch(t.db, "lopez"));
      expect(both.rows.map((r) => r.id)).to.deep.equal((await expected()).filter((id) => lopez.has(id)).slice(0, 50));
    });

    it("walks the order index and marks the matches on SQLite, rather than fetching and sorting every one; PostgreSQL reads the GIN index", async () => {
      const broad = await plan("walrus");
      if (isPostgres(t.db)) return expect(broad, broad).to.match(/Bitmap Index Scan on ticket_search\b/);
      expect(broad, broad).to.match(/SCAN tickets USING INDEX tickets_updated_at_id_index/);
      expect(broad, broad).to.not.match(/TEMP B-TREE FOR ORDER BY/);
      const narrow = await plan("quokka");
      expect(narrow, narrow).to.match(/SEARCH tickets USING INTEGER PRIMARY KEY/);
    });
  });

  it("the migration filled the index for rows that were there before it", async () => {
    const before = await staffSearch(t.db, "lopez");
    expect(before.length).to.be.greaterThan(0);
    await t.db.migrate.down({ name: "20261203_05_ticket_search", migrationSource });
    expect(await t.db.schema.hasTable("ticket_search")).to.equal(false);
    await t.db.migrate.up({ name: "20261203_05_ticket_search", migrationSource });
    expect(await staffSearch(t.db, "lopez")).to.deep.equal(before);
  });
});
