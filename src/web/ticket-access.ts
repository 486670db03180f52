import type { Db } from "../shared/db.js";
import { notFound } from "./errors.js";
import { ownedByAccount } from "./guards.js";
import { pathId, rowAtPath } from "./path-ids.js";
import { findTicket, type Ticket } from "../tickets/index.js";

/** The desk's 404 for a ticket number that names no ticket (or is no number at all). */
export const NO_SUCH_TICKET = "There is no ticket with that number.";

/** The 404 for an attachment that is not this ticket's (or not one this viewer may see). */
export const NO_SUCH_FILE = "This ticket has no such file.";

/**
 * A ticket the signed-in customer may see: its account's, and for a secondary login only the
 * ones it opened. Anything else is a 404, so other tickets do not reveal that they exist.
 */
export async function customerTicket(db: Db, user: Express.User, idValue: string | undefined): Promise<Ticket> {
  const ticket = ownedByAccount(user, await findTicket(db, pathId(idValue)));
  if (user.role === "secondary" && ticket.requesterId !== user.id) throw notFound();
  return ticket;
}

/** Any ticket, for staff. */
export function deskTicket(db: Db, idValue: string | undefined): Promise<Ticket> {
  return rowAtPath(idValue, (id) => findTicket(db, id), NO_SUCH_TICKET);
}

