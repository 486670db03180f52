import type { Knex } from "knex";

/** Staff choose whether new tickets are mailed to them (off unless they ask). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.boolean("notify_new_tickets").notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.dropColumn("notify_new_tickets");
  });
}
