import type { Knex } from "knex";

/**
 * The desk's views (issue 15): Open work and the views within it read only tickets not closed,
 * which a busy desk keeps few of beside years of closed ones. Partial indexes hold exactly those,
 * in queue order, so each view reads its page off one index whatever the closed backlog: Open
 * work by (updated_at, id), Mine and Unassigned by assignee, Resets in progress by type.
 * The predicate is written as the queue writes it (queue-store.ts), a literal both databases match.
 */
const INDEXES: [name: string, columns: string][] = [
  ["tickets_open_updated_index", "updated_at, id"],
  ["tickets_open_assignee_index", "assignee_id, updated_at, id"],
  ["tickets_open_type_index", "type, updated_at, id"],
];

export async function up(knex: Knex): Promise<void> {
  for (const [name, columns] of INDEXES) await knex.raw(`CREATE INDEX ${name} ON tickets (${columns}) WHERE status <> 'closed'`);
}

export async function down(knex: Knex): Promise<void> {
  for (const [name] of INDEXES) await knex.raw(`DROP INDEX ${name}`);
}
