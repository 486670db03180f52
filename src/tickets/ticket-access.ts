import type { Request } from "express";
import type { Db } from "../db.js";
import { HttpError, notFound } from "../web/errors.js";
import { ownedByAccount } from "../web/guards.js";
import { isRowId } from "../web/validation.js";
import type { Actor } from "./ticket-service.js";
import { findTicket, type Ticket } from "./tickets-store.js";

/** The ticket number in the path: a non-number is a 400 that says so, an unknown number a 404. */
export function ticketIdParam(value: string | undefined): number {
  if (!value || !isRowId(value)) throw new HttpError(400, "Ticket numbers are whole numbers, like 1042.");
  return Number(value);
}

/**
 * A ticket the signed-in customer may see: its account's, and for a secondary login only the
 * ones it opened. Anything else is a 404, so other tickets do not reveal that they exist.
 */
export async function customerTicket(db: Db, user: Express.User, idValue: string | undefined): Promise<Ticket> {
  const ticket = ownedByAccount(user, await findTicket(db, ticketIdParam(idValue)));
  if (user.role === "secondary" && ticket.requesterId !== user.id) throw notFound();
  return ticket;
}

/** Any ticket, for staff. */
export async function deskTicket(db: Db, idValue: string | undefined): Promise<Ticket> {
  const ticket = await findTicket(db, ticketIdParam(idValue));
  if (!ticket) throw notFound("There is no ticket with that number.");
  return ticket;
}

export function actorOf(req: Request): Actor {
  const user = req.user!;
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, accountId: user.accountId, ip: req.ip ?? null };
}
