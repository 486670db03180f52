import type { Knex } from "knex";

/**
 * Issue 17 item 6: files on tickets. Content-addressed by SHA-256 in `attachment_blobs` on
 * both databases: the bytes commit or roll back with their row (no orphan, no row without
 * its file) and every web process on one database sees them; `attachments` says which
 * message a file came with, under what name and detected type, and whether it is internal.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("attachment_blobs", (t) => {
    t.string("sha256", 64).primary();
    t.binary("content").notNullable();
    t.integer("size").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
  });
  await knex.schema.createTable("attachments", (t) => {
    t.increments("id").primary();
    t.integer("ticket_id").notNullable().references("id").inTable("tickets");
    t.integer("event_id").notNullable().references("id").inTable("ticket_events");
    t.string("sha256", 64).notNullable().references("sha256").inTable("attachment_blobs");
    t.string("filename", 255).notNullable();
    t.string("content_type", 100).notNullable();
    t.integer("size").notNullable();
    t.integer("uploaded_by").notNullable().references("id").inTable("users");
    t.boolean("internal").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["ticket_id", "event_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("attachments");
  await knex.schema.dropTable("attachment_blobs");
}
