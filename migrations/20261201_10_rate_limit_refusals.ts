import type { Knex } from "knex";

/**
 * Attempts a per-address limit refused, counted per address and window: the audit log gets one
 * row per window with the count (written when the window ends), not one row per attempt.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("rate_limit_refusals", (t) => {
    t.string("key", 200).notNullable();
    t.bigInteger("window_ends_at_ms").notNullable();
    t.string("action", 64).notNullable();
    t.string("ip", 64).notNullable();
    t.text("details").notNullable();
    t.integer("refused").notNullable();
    t.bigInteger("first_at_ms").notNullable();
    t.bigInteger("last_at_ms").notNullable();
    t.primary(["key", "window_ends_at_ms"]);
    t.index(["window_ends_at_ms"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("rate_limit_refusals");
}
