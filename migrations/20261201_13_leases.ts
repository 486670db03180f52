import type { Knex } from "knex";

/**
 * Leases instead of flags. A task run belongs to one worker (owner) until its lease expires,
 * so any process takes over a run whose worker died. A mail handed to the SMTP server keeps the
 * time of that hand-over until its attempt is recorded: after a crash the next worker knows the
 * server may already have it, and says so before sending it again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tasks", (t) => {
    t.string("lease_owner", 64).nullable();
    t.timestamp("lease_expires_at", { useTz: true }).nullable();
  });
  await knex.schema.alterTable("outbox", (t) => {
    t.timestamp("attempt_started_at", { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.dropColumn("attempt_started_at");
  });
  await knex.schema.alterTable("tasks", (t) => {
    t.dropColumn("lease_owner");
    t.dropColumn("lease_expires_at");
  });
}
