import type { Knex } from "knex";
import type { Db } from "../shared/db.js";
import { STAFF_ROLES } from "../shared/roles.js";

// A staff login's choices of what the desk mails it, kept on its users row: a mail about each
// new ticket (off unless asked), and one when a reset request becomes theirs to approve (on
// unless turned off).

type Row = Record<string, unknown>;

/** The notices a staff login chooses under My profile → Notifications, and their columns. */
export type StaffNotice = "new_tickets" | "awaiting_approval";
const COLUMNS: Record<StaffNotice, string> = { new_tickets: "notify_new_tickets", awaiting_approval: "notify_awaiting_approval" };

export async function wantsNotice(db: Db, userId: number, notice: StaffNotice): Promise<boolean> {
  const row: unknown = await db("users").where({ id: userId }).first(COLUMNS[notice]);
  return Boolean((row as Row | undefined)?.[COLUMNS[notice]]);
}

export async function storeNotice(db: Db, userId: number, notice: StaffNotice, on: boolean, now: Date): Promise<void> {
  await db("users").where({ id: userId }).update({ [COLUMNS[notice]]: on, updated_at: now });
}

/** The active agents and admins with an address who want this notice, oldest login first. */
export async function staffWantingNotice(trx: Knex.Transaction, notice: StaffNotice): Promise<{ id: number; email: string; displayName: string }[]> {
  const rows: Row[] = await trx("users").whereIn("role", STAFF_ROLES).whereNull("disabled_at").whereNotNull("email").where({ [COLUMNS[notice]]: true }).orderBy("id").select("id", "email", "display_name");
  return rows.map((r) => ({ id: Number(r.id), email: r.email as string, displayName: r.display_name as string }));
}

export const storeNewTicketMail = (db: Db, userId: number, on: boolean, now: Date) => storeNotice(db, userId, "new_tickets", on, now);
export const staffWantingNewTicketMail = (trx: Knex.Transaction) => staffWantingNotice(trx, "new_tickets");
