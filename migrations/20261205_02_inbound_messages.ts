import type { Knex } from "knex";

/**
 * Issue 17: mail in. Every message handed to the desk (SMTP/LMTP or IMAP) is stored here, raw,
 * before it is acknowledged, then parsed, authenticated and routed by a worker holding a lease
 * (locked_by/locked_until, like the outbox), so a killed process's message is taken over.
 * dedup_key (the normalised Message-ID, or 'sha256:' + the raw message's digest) stores a
 * message handed over twice once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("inbound_messages", (t) => {
    t.increments("id").primary();
    t.timestamp("received_at", { useTz: true }).notNullable();
    t.string("via", 8).notNullable();
    t.string("dedup_key", 998).notNullable().unique();
    t.string("envelope_from", 320).nullable();
    t.text("envelope_to").notNullable();
    t.string("remote_ip", 64).nullable();
    t.string("helo", 255).nullable();
    t.binary("raw").notNullable();
    t.string("from_address", 320).nullable();
    t.text("subject").nullable();
    t.string("status", 16).notNullable().defaultTo("received");
    t.text("auth_results").nullable();
    t.text("outcome").nullable();
    t.integer("ticket_id").nullable();
    t.integer("attempts").notNullable().defaultTo(0);
    t.timestamp("locked_until", { useTz: true }).nullable();
    t.string("locked_by", 64).nullable();
    t.text("last_error").nullable();
    t.timestamp("processed_at", { useTz: true }).nullable();
    t.integer("released_by").nullable();
    t.timestamp("released_at", { useTz: true }).nullable();
    t.timestamp("auto_replied_at", { useTz: true }).nullable();
    t.index(["status", "received_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("inbound_messages");
}
