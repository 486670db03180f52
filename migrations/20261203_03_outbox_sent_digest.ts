import type { Knex } from "knex";

/**
 * Issue 14: once a mail carrying a secret is sent, the outbox keeps only its headers (in
 * `message`) and the SHA-256 of the whole message as the mail server got it (CRLF line ends), so nobody at
 * the desk can open it afterwards. Null for every other mail, and for secret mail not yet sent.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.string("sent_sha256", 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.dropColumn("sent_sha256");
  });
}
