import type { Knex } from "knex";

/**
 * Issue 17: the reply addresses of ticket mail, reply+<token>@INBOUND_DOMAIN. Each mail to a
 * person about a ticket gets a fresh token (only its SHA-256 is kept, so a mail cannot be
 * re-sent with an old one); every token of that ticket and person stays good for replies.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("reply_tokens", (t) => {
    t.increments("id").primary();
    t.integer("ticket_id").notNullable().references("id").inTable("tickets").onDelete("CASCADE");
    t.integer("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.string("token_hash", 64).notNullable().unique();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["ticket_id", "user_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("reply_tokens");
}
