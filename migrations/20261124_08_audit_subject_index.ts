import type { Knex } from "knex";

/** The audit page filters by subject ("ticket:12", "user:5"), newest first. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (t) => {
    t.index(["subject", "seq"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (t) => {
    t.dropIndex(["subject", "seq"]);
  });
}
