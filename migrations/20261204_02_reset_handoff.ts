import type { Knex } from "knex";

/**
 * Issue 15 item 3, the hand-off: who may approve each pending request now (kept in the same
 * transaction as every resets write that changes it, read by "Awaiting my approval" and the
 * nav's count by `user_id`), each staff login's choice to be mailed when a request becomes
 * theirs to approve (on unless they turn it off), and when the "temporary password about to
 * expire unused" notice went out (so it goes once).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("reset_approvers", (t) => {
    t.integer("request_id").notNullable().references("id").inTable("reset_requests");
    // The request's ticket, copied: the view reads ticket ids by approver without a join.
    t.integer("ticket_id").notNullable().references("id").inTable("tickets");
    t.integer("user_id").notNullable().references("id").inTable("users");
    t.timestamp("since", { useTz: true }).notNullable();
    t.primary(["request_id", "user_id"]);
    t.index(["user_id", "ticket_id"], "reset_approvers_user_ticket");
  });
  await knex.schema.alterTable("users", (t) => {
    t.boolean("notify_awaiting_approval").notNullable().defaultTo(true);
  });
  await knex.schema.alterTable("reset_requests", (t) => {
    t.timestamp("expiry_notice_at", { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("reset_requests", (t) => {
    t.dropColumn("expiry_notice_at");
  });
  await knex.schema.alterTable("users", (t) => {
    t.dropColumn("notify_awaiting_approval");
  });
  await knex.schema.dropTable("reset_approvers");
}
