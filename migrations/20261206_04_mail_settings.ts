import type { Knex } from "knex";

/**
 * Issue 18: the mail settings an admin edits in the console, in one row (id 1). A null field
 * is not set here (the environment or the default applies); the SMTP password is sealed with
 * the data key. `version` goes up by one at every save: each process rebuilds its SMTP
 * transport when it reads a version other than the one it built from.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("mail_settings", (t) => {
    t.integer("id").primary();
    t.boolean("sending_enabled").notNullable().defaultTo(true);
    t.string("transport", 8).nullable();
    t.string("host", 253).nullable();
    t.integer("port").nullable();
    t.string("security", 8).nullable();
    t.boolean("auth").nullable();
    t.string("username", 254).nullable();
    t.text("password_sealed").nullable();
    t.string("from_address", 320).nullable();
    t.integer("version").notNullable().defaultTo(0);
    t.timestamp("updated_at", { useTz: true }).nullable();
    t.integer("updated_by").nullable().references("id").inTable("users");
  });
  await knex("mail_settings").insert({ id: 1, sending_enabled: true, version: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("mail_settings");
}
