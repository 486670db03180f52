import type { Knex } from "knex";

/**
 * Second factors (issue 13). `totp_factors`: one authenticator app per login, its secret sealed
 * with the data key (never in clear); `activated_at` stays null until a correct code confirms
 * the enrolment, and `last_used_step` is the 30-second step of the last code accepted, so a code
 * is taken once (RFC 6238 §5.2). `recovery_codes`: the ten single-use codes, SHA-256 of each only.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("totp_factors", (t) => {
    t.increments("id").primary();
    t.integer("user_id").notNullable().unique().references("id").inTable("users").onDelete("CASCADE");
    t.text("secret_sealed").notNullable();
    t.bigInteger("last_used_step").nullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("activated_at", { useTz: true }).nullable();
  });
  await knex.schema.createTable("recovery_codes", (t) => {
    t.increments("id").primary();
    t.integer("user_id").notNullable().references("id").inTable("users").onDelete("CASCADE");
    t.string("code_hash", 64).notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("used_at", { useTz: true }).nullable();
    t.unique(["user_id", "code_hash"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("recovery_codes");
  await knex.schema.dropTable("totp_factors");
}
