import type { Knex } from "knex";

/**
 * Issue 16: the canned replies admins keep for agents to insert into a reply or note. A title
 * is unique whatever its case (`title_key` is it lower-cased), so the select on the ticket page
 * never shows two alike. Who last wrote each is kept beside the audit log for the list page.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("canned_replies", (t) => {
    t.increments("id");
    t.string("title", 120).notNullable();
    t.string("title_key", 120).notNullable().unique();
    t.text("body").notNullable();
    t.integer("updated_by").notNullable().references("id").inTable("users");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("canned_replies");
}
