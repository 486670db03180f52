import type { Knex } from "knex";

/**
 * A primary reset request can say the holder lost the second factor too (issue 13 item 7):
 * then an admin approves, and delivery removes the primary's factors with the password.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.boolean("factor_lost").notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.dropColumn("factor_lost");
  });
}
