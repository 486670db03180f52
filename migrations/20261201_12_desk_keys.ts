import type { Knex } from "knex";

/**
 * Every desk key the desk has published (its public half is served at /pgp-key.asc and signs
 * its mail), so a start that finds the key file gone knows a key existed and refuses to make
 * a new one in silence. The current key has no `retired_at`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("desk_keys", (t) => {
    t.string("fingerprint", 64).primary();
    t.text("public_key").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("retired_at", { useTz: true }).nullable();
    // Made at a start with DESK_KEY_ROTATE=1 and no start without it since: the flag left
    // set must not rotate again at every restart.
    t.boolean("made_under_rotate_flag").notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("desk_keys");
}
