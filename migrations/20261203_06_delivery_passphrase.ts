import type { Knex } from "knex";

/**
 * Issue 14: the delivery passphrase of a key-less primary, read to the holder on a confirmed
 * callback, sealed with the data key until delivery (null once the request leaves pending),
 * and the callback it was read on (kept: it says on the ticket when and by whom, never what).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.text("delivery_passphrase_sealed").nullable();
    t.integer("passphrase_callback_id").nullable().references("id").inTable("callbacks");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.dropColumn("delivery_passphrase_sealed");
    t.dropColumn("passphrase_callback_id");
  });
}
