import type { Knex } from "knex";

/**
 * Issue 18: when each task last succeeded. `last_finished_at` is the last run whatever its
 * outcome, so after a failed run the last good one was lost; /metrics reports this column.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tasks", (t) => {
    t.timestamp("last_succeeded_at", { useTz: true }).nullable();
  });
  await knex("tasks").where({ status: "done" }).update({ last_succeeded_at: knex.ref("last_finished_at") });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tasks", (t) => {
    t.dropColumn("last_succeeded_at");
  });
}
