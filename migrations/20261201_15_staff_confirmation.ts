import type { Knex } from "knex";

/**
 * Four eyes on staff identity: a staff login created in the console is unconfirmed until a
 * second, confirmed admin confirms it, and becomes so again when its credential passes through
 * another person's hands. `unconfirmed_by` is who made it need confirming (its creator, or who
 * changed its email or sent it a link): that person may not confirm it. Staff existing before
 * this are confirmed.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.integer("created_by").nullable().references("id").inTable("users");
    t.integer("confirmed_by").nullable().references("id").inTable("users");
    t.timestamp("confirmed_at", { useTz: true }).nullable();
    t.integer("unconfirmed_by").nullable().references("id").inTable("users");
  });
  await knex("users").whereIn("role", ["agent", "admin"]).update({ confirmed_at: knex.ref("created_at") });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.dropColumn("unconfirmed_by");
    t.dropColumn("confirmed_at");
    t.dropColumn("confirmed_by");
    t.dropColumn("created_by");
  });
}
