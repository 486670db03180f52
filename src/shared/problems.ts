/** What a page says for a thing that is not there, or not there for this login (never which). */
export const NOT_THERE = "That page does not exist, or you cannot see it.";

/** Why a step was refused: one sentence per form field ("form" for the whole form), shown next to it. */
export type Problems = Record<string, string>;

/**
 * A step's answer: done, with what it made (`value`; undefined for a step that makes nothing),
 * or refused, with its problems by field and nothing changed. Every domain service answers so.
 */
export type Result<T = undefined> = { ok: true; value: T } | Refused;

/** A refused step: its problems by field, nothing changed. A domain may add what the page needs to explain it. */
export type Refused = { ok: false; problems: Problems };

/** Done; `done()` for a step that makes nothing, `done(id)` for one that does. */
export function done(): Result;
export function done<T>(value: T): Result<T>;
export function done<T>(value?: T): Result<T | undefined> {
  return { ok: true, value };
}

/** Refused with these problems (at least one), nothing changed. */
export const refused = (problems: Problems): Refused => ({ ok: false, problems });

/** Refused with one problem, shown next to `field`. */
export const refusedAt = (field: string, problem: string): Refused => refused({ [field]: problem });

/**
 * Raised by a domain when the thing asked for is not there for this actor (`missing`) or the
 * actor may not do this at all (`forbidden`). The web's one error handler turns it into a
 * 404 or 403 page with this message (web/errors.ts); nothing else knows HTTP statuses.
 */
export class Refusal extends Error {
  constructor(
    readonly kind: "missing" | "forbidden",
    message: string,
  ) {
    super(message);
    this.name = "Refusal";
  }
}
