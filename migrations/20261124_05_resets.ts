import type { Knex } from "knex";

/** The primary reset: one request per `primary_reset` ticket, its callbacks and objection links. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("reset_requests", (t) => {
    t.increments("id");
    t.integer("ticket_id").notNullable().unique().references("id").inTable("tickets");
    t.integer("account_id").notNullable().references("id").inTable("accounts");
    t.integer("requester_id").notNullable().references("id").inTable("users");
    t.integer("target_user_id").notNullable().references("id").inTable("users"); // the account's primary login
    t.string("state", 16).notNullable(); // pending | delivered | redeemed | rejected | expired | withdrawn
    t.text("reason").notNullable();
    t.timestamp("objected_at", { useTz: true }).nullable();
    t.string("objected_by", 254).nullable(); // the address whose link was used
    t.integer("objection_cleared_by").nullable().references("id").inTable("users");
    t.timestamp("objection_cleared_at", { useTz: true }).nullable();
    t.integer("approved_by").nullable().references("id").inTable("users");
    t.timestamp("approved_at", { useTz: true }).nullable();
    t.integer("rejected_by").nullable().references("id").inTable("users");
    t.timestamp("rejected_at", { useTz: true }).nullable();
    t.text("rejection_reason").nullable();
    t.string("key_fingerprint", 64).nullable();
    t.integer("outbox_id").nullable().references("id").inTable("outbox");
    t.timestamp("temp_expires_at", { useTz: true }).nullable();
    t.timestamp("redeemed_at", { useTz: true }).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.index(["target_user_id", "state"]);
    t.index(["state", "temp_expires_at"]);
  });
  // One open request per account, enforced by the database against races.
  await knex.raw("CREATE UNIQUE INDEX reset_requests_one_open ON reset_requests (account_id) WHERE state IN ('pending', 'delivered')");

  await knex.schema.createTable("callbacks", (t) => {
    t.increments("id");
    t.integer("reset_request_id").notNullable().references("id").inTable("reset_requests");
    t.integer("contact_id").notNullable().references("id").inTable("contacts");
    t.string("contact_name", 200).notNullable();
    t.string("phone_dialled", 32).notNullable(); // copied from the record at that moment
    t.integer("agent_id").notNullable().references("id").inTable("users");
    t.string("outcome", 16).notNullable(); // confirmed | denied | no_answer | wrong_number
    t.text("notes").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["reset_request_id", "id"]);
  });

  await knex.schema.createTable("objection_tokens", (t) => {
    t.increments("id");
    t.integer("reset_request_id").notNullable().references("id").inTable("reset_requests");
    t.string("recipient", 254).notNullable();
    t.string("token_hash", 64).notNullable().unique(); // SHA-256 of the token, never the token
    t.timestamp("used_at", { useTz: true }).nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("objection_tokens");
  await knex.schema.dropTableIfExists("callbacks");
  await knex.schema.dropTableIfExists("reset_requests");
}
