import type { Knex } from "knex";

/**
 * Every clearance of an objection to a record change, kept as history: an objection can be
 * raised again after one is cleared (record_changes holds only the current one), and whoever
 * cleared any of them within the recent-change window may not approve a reset of the account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("record_change_clearances", (t) => {
    t.increments("id");
    t.integer("record_change_id").notNullable().references("id").inTable("record_changes");
    t.integer("account_id").nullable().references("id").inTable("accounts"); // the change's, for the reset's rule
    t.integer("cleared_by").notNullable().references("id").inTable("users");
    t.text("note").notNullable();
    t.timestamp("cleared_at", { useTz: true }).notNullable();
    t.index(["account_id", "cleared_at"]);
  });
  await knex.raw(`INSERT INTO record_change_clearances (record_change_id, account_id, cleared_by, note, cleared_at)
    SELECT id, account_id, objection_cleared_by, coalesce(objection_clear_note, ''), objection_cleared_at FROM record_changes
    WHERE objection_cleared_at IS NOT NULL AND objection_cleared_by IS NOT NULL`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("record_change_clearances");
}
