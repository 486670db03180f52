import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { STAFF_ROLES } from "../shared/roles.js";

// A staff login's choice to be mailed about new tickets, kept on its users row.

type Row = Record<string, unknown>;

export async function wantsNewTicketMail(db: Db, userId: number): Promise<boolean> {
  const row: unknown = await db("users").where({ id: userId }).first("notify_new_tickets");
  return Boolean((row as Row | undefined)?.notify_new_tickets);
}

export async function storeNewTicketMail(db: Db, userId: number, on: boolean, now: Date): Promise<void> {
  await db("users").where({ id: userId }).update({ notify_new_tickets: on, updated_at: now });
}

/** The active agents and admins with an address who asked to be mailed about new tickets, oldest login first. */
export async function staffWantingNewTicketMail(trx: Knex.Transaction): Promise<{ email: string; displayName: string }[]> {
  const rows: Row[] = await trx("users").whereIn("role", STAFF_ROLES).whereNull("disabled_at").whereNotNull("email").where({ notify_new_tickets: true }).orderBy("id").select("email", "display_name");
  return rows.map((r) => ({ email: r.email as string, displayName: r.display_name as string }));
}
