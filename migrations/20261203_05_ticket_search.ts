import type { Knex } from "knex";

/**
 * Full-text search for the desk queue (issue 16): one index per source table, so renaming an
 * account or editing a contact re-indexes that one row and its tickets are found through their
 * account_id, never by rewriting each ticket's document. Kept in step by the database itself, in
 * the writing transaction: SQLite FTS5 tables filled by triggers, PostgreSQL stored tsvector
 * columns with GIN indexes. Neither stems words (the same matches on both databases); text is
 * split into runs of letters and digits, so an email address is a phrase of its parts.
 *
 * Phone numbers are indexed as digits only, with and without their first one, two and three
 * digits (a country code of any length, or a trunk 0), so "020 7946…" and "+44 20 7946…"
 * both find +44 20 7946 0018 by prefix.
 */

interface Source {
  table: string;
  /** The FTS5 table (SQLite) or tsvector column's GIN index (PostgreSQL). */
  index: string;
  /** Indexed text: column names and their SQL over the source row (`r` is `new.` or nothing). */
  text: (r: string) => [string, string][];
  /** Phone digits, kept apart (an FTS5 column, a tsvector weight) so only a number searches them. */
  phone?: (r: string, pg: boolean) => string;
  /** Columns copied beside the text (SQLite) to find the tickets without a join. */
  carried: string[];
}

/** Digits only, then again without the first one, two and three digits (see above). */
function phoneDigits(column: string, pg: boolean): string {
  const digits = pg
    ? `regexp_replace(coalesce(${column}, ''), '[^0-9]', '', 'g')`
    : [" ", "-", "(", ")", "+", ".", "/"].reduce((expr, c) => `replace(${expr}, '${c}', '')`, `coalesce(${column}, '')`);
  return [digits, `substr(${digits}, 2)`, `substr(${digits}, 3)`, `substr(${digits}, 4)`].join(" || ' ' || ");
}

const SOURCES: Source[] = [
  { table: "tickets", index: "ticket_search", text: (r) => [["subject", `${r}subject`]], carried: [] },
  { table: "ticket_events", index: "ticket_event_search", text: (r) => [["body", `coalesce(${r}body, '')`]], carried: ["ticket_id", "visibility"] },
  {
    table: "users",
    index: "user_search",
    text: (r) => [["username", `${r}username`], ["display_name", `${r}display_name`], ["email", `coalesce(${r}email, '')`]],
    carried: [],
  },
  { table: "accounts", index: "account_search", text: (r) => [["code", `${r}code`], ["name", `${r}name`]], carried: [] },
  {
    table: "contacts",
    index: "contact_search",
    text: (r) => [["name", `${r}name`], ["email", `coalesce(${r}email, '')`]],
    phone: (r, pg) => phoneDigits(`${r}phone`, pg),
    carried: ["account_id"],
  },
];

/** The source columns whose change re-indexes a row. */
const WATCHED: Record<string, string[]> = {
  tickets: ["subject"],
  ticket_events: ["body", "visibility"],
  users: ["username", "display_name", "email"],
  accounts: ["code", "name"],
  contacts: ["name", "email", "phone"],
};

async function upSqlite(knex: Knex, s: Source): Promise<void> {
  const textColumns = [...s.text("").map(([name]) => name), ...(s.phone ? ["phone"] : [])];
  // Contentless: the index keeps no second copy of the text; the carried columns are stored.
  const carried = s.carried.map((c) => `${c} UNINDEXED`);
  await knex.raw(
    `CREATE VIRTUAL TABLE ${s.index} USING fts5(${[...textColumns, ...carried].join(", ")}, content='', contentless_delete=1${s.carried.length ? ", contentless_unindexed=1" : ""}, prefix='2 3')`,
  );
  const columns = ["rowid", ...textColumns, ...s.carried].join(", ");
  const values = (r: string) => [`${r}id`, ...s.text(r).map(([, e]) => e), ...(s.phone ? [s.phone(r, false)] : []), ...s.carried.map((c) => `${r}${c}`)].join(", ");
  const insert = (r: string) => `INSERT INTO ${s.index} (${columns}) VALUES (${values(r)});`;
  await knex.raw(`CREATE TRIGGER ${s.index}_ai AFTER INSERT ON ${s.table} BEGIN ${insert("new.")} END`);
  await knex.raw(
    `CREATE TRIGGER ${s.index}_au AFTER UPDATE OF ${WATCHED[s.table]!.join(", ")} ON ${s.table} BEGIN DELETE FROM ${s.index} WHERE rowid = old.id; ${insert("new.")} END`,
  );
  await knex.raw(`CREATE TRIGGER ${s.index}_ad AFTER DELETE ON ${s.table} BEGIN DELETE FROM ${s.index} WHERE rowid = old.id; END`);
  await knex.raw(`INSERT INTO ${s.index} (${columns}) SELECT ${values("")} FROM ${s.table}`);
}

async function upPostgres(knex: Knex, s: Source): Promise<void> {
  // Punctuation becomes a space before parsing, so "paula@acme.example" is indexed as three words.
  const text = s
    .text("")
    .map(([, e]) => `regexp_replace(${e}, '[[:space:][:punct:]]+', ' ', 'g')`)
    .join(" || ' ' || ");
  // Words weigh A, phone digits B: a query asks for A unless it is a number (see search-store.ts).
  const doc = `setweight(to_tsvector('simple', ${text}), 'A')${s.phone ? ` || setweight(to_tsvector('simple', ${s.phone("", true)}), 'B')` : ""}`;
  // A stored generated column: computed in the writing statement, and filled for existing rows here.
  await knex.raw(`ALTER TABLE ${s.table} ADD COLUMN search_doc tsvector GENERATED ALWAYS AS (${doc}) STORED`);
  await knex.raw(`CREATE INDEX ${s.index} ON ${s.table} USING gin (search_doc)`);
}

const isPg = (knex: Knex) => (knex.client as { config: { client: string } }).config.client === "pg";

export async function up(knex: Knex): Promise<void> {
  for (const s of SOURCES) await (isPg(knex) ? upPostgres(knex, s) : upSqlite(knex, s));
}

export async function down(knex: Knex): Promise<void> {
  for (const s of SOURCES) {
    if (isPg(knex)) {
      await knex.raw(`ALTER TABLE ${s.table} DROP COLUMN search_doc`);
    } else {
      for (const t of ["ai", "au", "ad"]) await knex.raw(`DROP TRIGGER ${s.index}_${t}`);
      await knex.raw(`DROP TABLE ${s.index}`);
      // SQLite 3.52 leaves the stored columns' shadow table of a contentless_unindexed table behind.
      await knex.raw(`DROP TABLE IF EXISTS ${s.index}_content`);
    }
  }
}
