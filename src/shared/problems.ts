/** Why a step was refused: one sentence per form field ("form" for the whole form), shown next to it. */
export type Problems = Record<string, string>;

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
