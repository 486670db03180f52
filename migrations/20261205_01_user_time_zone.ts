import type { Knex } from "knex";

/**
 * Issue 16: the time zone a person chose under My profile, an IANA name; null (every login
 * today) shows them times on the desk's clock, TIME_ZONE.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.string("time_zone", 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.dropColumn("time_zone");
  });
}
