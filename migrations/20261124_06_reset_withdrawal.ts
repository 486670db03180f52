import type { Knex } from "knex";

/** A delivered temporary password can be withdrawn before use: by whom (null when an objection did it), when, why. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.integer("withdrawn_by").nullable().references("id").inTable("users");
    t.timestamp("withdrawn_at", { useTz: true }).nullable();
    t.text("withdrawal_reason").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.dropColumn("withdrawn_by");
    t.dropColumn("withdrawn_at");
    t.dropColumn("withdrawal_reason");
  });
}
