import type { Knex } from "knex";
import { isPostgres, type Db } from "../shared/db.js";
import type { SearchWord } from "./search-terms.js";

/** Staff search every message; a customer's search never reads internal notes or steps. */
export type SearchAudience = "staff" | "customer";

/** The full-text index of each source table (migrations/20261203_05_ticket_search.ts). */
const FTS_TABLE = { tickets: "ticket_search", ticket_events: "ticket_event_search", users: "user_search", accounts: "account_search", contacts: "contact_search" } as const;
type Source = keyof typeof FTS_TABLE;

// The tokens hold letters and digits only (search-terms.ts), so quoting them is all the escaping
// either syntax needs: in FTS5 a quoted string is a phrase, `*` after it a prefix on its last token.
const fts5Phrase = (tokens: string[], prefix: boolean) => `"${tokens.join(" ")}"${prefix ? " *" : ""}`;
/** A tsquery phrase; `weight` keeps each token to lexemes of that weight (`'paula':*A`). */
function tsPhrase(tokens: string[], prefix: boolean, weight = ""): string {
  const flags = (i: number) => (i === tokens.length - 1 && prefix ? "*" : "") + weight;
  return tokens.map((t, i) => (flags(i) ? `'${t}':${flags(i)}` : `'${t}'`)).join(" <-> ");
}

/**
 * The word as a query of the source's index. Only a contact has a phone number, kept apart from
 * its words (an FTS5 column, tsvector weight B), so "42" finds no number that merely holds 42.
 */
function queryOf(db: Db, source: Source, w: SearchWord): string {
  const pg = isPostgres(db);
  if (source !== "contacts") return pg ? tsPhrase(w.tokens, w.prefix) : fts5Phrase(w.tokens, w.prefix);
  const words = pg ? tsPhrase(w.tokens, w.prefix, "A") : `{name email} : ${fts5Phrase(w.tokens, w.prefix)}`;
  if (!w.phone) return words;
  return pg ? `${words} | ${tsPhrase([w.phone], true, "B")}` : `${words} OR phone : ${fts5Phrase([w.phone], true)}`;
}

/** `select <column> from <source> where <the word matches the row's text>`, through the index. */
function matching(db: Db, source: Source, column: string, word: SearchWord): Knex.QueryBuilder {
  if (isPostgres(db)) return db(source).select(column).whereRaw("search_doc @@ to_tsquery('simple', ?)", [queryOf(db, source, word)]);
  const fts = FTS_TABLE[source];
  return db(fts)
    .select(column === "id" ? "rowid" : column)
    .whereRaw(`${fts} match ?`, [queryOf(db, source, word)]);
}

/**
 * The ids of the tickets one word finds, as a subquery: its number, subject, messages, and for
 * staff the requester (name, username, email), account (code, name) and the account's contacts
 * (name, email, phone). Accounts and contacts lead to tickets by account_id, so a renamed account is
 * found at once without touching its tickets.
 */
export function ticketsMatching(db: Db, word: SearchWord, audience: SearchAudience): Knex.QueryBuilder {
  const messages = matching(db, "ticket_events", "ticket_id", word);
  if (audience === "customer") messages.where("visibility", "public");
  const ids = matching(db, "tickets", "id", word).unionAll(messages);
  // A customer searches what its tickets say, never the account's records: its contacts' numbers
  // and addresses are what callbacks check callers against, and a hit would give them away.
  if (audience === "staff") {
    const accounts = matching(db, "accounts", "id", word).unionAll(matching(db, "contacts", "account_id", word));
    ids.unionAll(db("tickets").select("id").whereIn("requester_id", matching(db, "users", "id", word))).unionAll(db("tickets").select("id").whereIn("account_id", accounts));
  }
  if (word.number !== null) ids.unionAll(db("tickets").select("id").where("id", word.number));
  return ids;
}
