import type { Knex } from "knex";

/** The mail worker finds the reset request of a mail that failed for good by its outbox id. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.index(["outbox_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.dropIndex(["outbox_id"]);
  });
}
