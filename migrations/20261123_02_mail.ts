import type { Knex } from "knex";

/** The outbox every mail goes through, its delivery attempts, and the scheduled tasks. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("outbox", (t) => {
    t.increments("id");
    t.string("recipient", 254).notNullable();
    t.string("subject", 300).notNullable();
    t.string("template", 64).notNullable();
    // The whole RFC 5322 message as sent; for secret mail, PGP/MIME ciphertext; for mail
    // carrying a single-use link in clear, that message sealed to the desk key.
    t.text("message").notNullable();
    t.boolean("encrypted").notNullable().defaultTo(false);
    t.boolean("sealed").notNullable().defaultTo(false);
    t.string("message_id", 300).notNullable().unique();
    t.string("status", 16).notNullable();
    t.integer("attempts").notNullable().defaultTo(0);
    t.timestamp("next_attempt_at", { useTz: true }).nullable();
    t.timestamp("locked_until", { useTz: true }).nullable();
    t.string("locked_by", 64).nullable();
    t.text("last_error").nullable();
    t.integer("ticket_id").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("sent_at", { useTz: true }).nullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    // The worker's claim reads due mail by status and time; the mail log pages by id.
    t.index(["status", "next_attempt_at"]);
    t.index(["recipient"]);
  });

  await knex.schema.createTable("outbox_attempts", (t) => {
    t.increments("id");
    t.integer("outbox_id").notNullable().references("id").inTable("outbox").onDelete("CASCADE");
    t.integer("attempt").notNullable();
    t.string("worker", 64).notNullable();
    t.timestamp("started_at", { useTz: true }).notNullable();
    t.timestamp("finished_at", { useTz: true }).notNullable();
    t.string("outcome", 16).notNullable();
    t.text("detail").nullable();
    t.index(["outbox_id", "id"]);
  });

  await knex.schema.createTable("tasks", (t) => {
    t.string("name", 64).primary();
    t.string("status", 16).notNullable().defaultTo("waiting");
    t.timestamp("last_started_at", { useTz: true }).nullable();
    t.timestamp("last_finished_at", { useTz: true }).nullable();
    t.text("last_error").nullable();
    t.text("last_result").nullable();
    t.timestamp("next_run_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("tasks");
  await knex.schema.dropTableIfExists("outbox_attempts");
  await knex.schema.dropTableIfExists("outbox");
}
