import type { Knex } from "knex";

/**
 * Issue 15 item 5, SLA clocks: the targets per priority (first response and resolution, in
 * minutes; one row per priority, seeded with the desk's defaults) and, on each ticket, its
 * clocks: when the first response and the resolution are due, when an agent first replied in
 * public, when the clocks stopped (waiting for the customer, or resolved) and how long they
 * have stood still in all, and `due_at`, the next of those due times that is still running
 * (null when none is: met, paused or closed). The due view reads (due_at, id).
 */
const DEFAULT_TARGETS = [
  { priority: "urgent", first_response_minutes: 60, resolution_minutes: 4 * 60 },
  { priority: "high", first_response_minutes: 4 * 60, resolution_minutes: 24 * 60 },
  { priority: "normal", first_response_minutes: 8 * 60, resolution_minutes: 3 * 24 * 60 },
  { priority: "low", first_response_minutes: 24 * 60, resolution_minutes: 5 * 24 * 60 },
];

const MINUTE = 60_000;
const BATCH = 500;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("sla_targets", (t) => {
    t.string("priority", 16).primary();
    t.integer("first_response_minutes").notNullable();
    t.integer("resolution_minutes").notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
  });
  const now = new Date();
  await knex("sla_targets").insert(DEFAULT_TARGETS.map((row) => ({ ...row, updated_at: now })));

  await knex.schema.alterTable("tickets", (t) => {
    t.timestamp("first_response_due_at", { useTz: true }).nullable();
    t.timestamp("first_responded_at", { useTz: true }).nullable();
    t.timestamp("resolution_due_at", { useTz: true }).nullable();
    t.timestamp("sla_paused_at", { useTz: true }).nullable();
    t.bigInteger("sla_paused_ms").notNullable().defaultTo(0);
    t.timestamp("due_at", { useTz: true }).nullable();
    t.index(["due_at", "id"], "tickets_due_at_id");
  });
  await backfillOpenTickets(knex);
}

/**
 * Tickets already new or open get their clocks from their opening with the defaults; as the
 * desk kept no record of earlier replies, their first response counts as not yet given. Those
 * waiting or resolved start paused now. Run in batches by id: no more than a page in memory.
 */
async function backfillOpenTickets(knex: Knex): Promise<void> {
  const targets = new Map(DEFAULT_TARGETS.map((row) => [row.priority, row]));
  const now = new Date();
  for (let after = 0; ; ) {
    const rows = (await knex("tickets").select("id", "type", "status", "priority", "created_at").whereNot("status", "closed").where("id", ">", after).orderBy("id").limit(BATCH)) as Record<string, unknown>[];
    if (rows.length === 0) return;
    for (const row of rows) {
      const target = targets.get(row.priority as string)!;
      const opened = new Date(row.created_at as Date | number | string);
      const firstResponse = row.type === "primary_reset" ? null : new Date(opened.getTime() + target.first_response_minutes * MINUTE);
      const resolution = new Date(opened.getTime() + target.resolution_minutes * MINUTE);
      const running = row.status === "new" || row.status === "open";
      await knex("tickets")
        .where({ id: row.id })
        .update({
          first_response_due_at: firstResponse,
          resolution_due_at: resolution,
          sla_paused_at: running ? null : now,
          due_at: running ? (firstResponse ?? resolution) : null,
        });
    }
    after = Number(rows[rows.length - 1]!.id);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tickets", (t) => {
    t.dropIndex(["due_at", "id"], "tickets_due_at_id");
    for (const column of ["first_response_due_at", "first_responded_at", "resolution_due_at", "sla_paused_at", "sla_paused_ms", "due_at"]) t.dropColumn(column);
  });
  await knex.schema.dropTable("sla_targets");
}
