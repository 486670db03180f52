import type { Knex } from "knex";

/** Tickets and their timeline. The indexes follow the agent queue's keyset reads (DESIGN §2). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("tickets", (t) => {
    t.increments("id"); // also the ticket's human number: #1042
    t.integer("account_id").notNullable().references("id").inTable("accounts");
    t.integer("requester_id").notNullable().references("id").inTable("users");
    t.string("type", 16).notNullable(); // general | technical | non_technical | primary_reset
    t.string("subject", 200).notNullable();
    t.string("status", 20).notNullable(); // new | open | pending_customer | resolved | closed
    t.string("priority", 10).notNullable().defaultTo("normal"); // low | normal | high | urgent
    t.integer("assignee_id").nullable().references("id").inTable("users");
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable();
    t.timestamp("resolved_at", { useTz: true }).nullable();
    t.timestamp("closed_at", { useTz: true }).nullable();
    // The queue reads newest activity first, 50 at a time after a (updated_at, id) cursor,
    // with or without one equality filter in front.
    t.index(["updated_at", "id"]);
    t.index(["status", "updated_at", "id"]);
    t.index(["type", "updated_at", "id"]);
    t.index(["assignee_id", "updated_at", "id"]);
    t.index(["account_id", "updated_at", "id"]);
    t.index(["requester_id", "updated_at", "id"]);
  });

  await knex.schema.createTable("ticket_events", (t) => {
    t.increments("id");
    t.integer("ticket_id").notNullable().references("id").inTable("tickets");
    t.integer("author_id").nullable().references("id").inTable("users"); // null: the desk itself
    // reply | note | status | priority | assignment | system | callback | approval | rejection | objection
    t.string("kind", 24).notNullable();
    t.string("visibility", 10).notNullable(); // public | internal
    t.text("body").nullable();
    t.text("data").nullable(); // JSON
    t.timestamp("created_at", { useTz: true }).notNullable();
    t.index(["ticket_id", "id"]);
  });

  // Per-status counts for the queue header, kept in step with tickets in the same
  // transaction, so the header costs the same at a million tickets as at ten.
  await knex.schema.createTable("ticket_status_counts", (t) => {
    t.string("status", 20).primary();
    t.integer("n").notNullable().defaultTo(0);
  });
  await knex("ticket_status_counts").insert(["new", "open", "pending_customer", "resolved", "closed"].map((status) => ({ status, n: 0 })));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists("ticket_status_counts");
  await knex.schema.dropTableIfExists("ticket_events");
  await knex.schema.dropTableIfExists("tickets");
}
