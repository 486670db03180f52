import type { Request, Response, Router } from "express";

/**
 * Confirm before destroying (issue 16 item 6), one pattern everywhere: the button that starts a
 * destructive step opens a page (GET) saying what will happen, and only that page's form does
 * it, by posting `confirm=yes`. A POST without that field (forged, stale, or a bookmarked form)
 * gets the same page back with a 400 and changes nothing.
 */
export interface Confirmation {
  /** The question, as the page's heading: "Disable dave?" */
  title: string;
  /** What will happen, one sentence each. */
  effects: string[];
  /** The button that does it, naming what it acts on: "Disable dave". */
  button: string;
  /** Where the form posts (the same path as the page, for the steps below). */
  action: string;
  /** Where "Cancel" goes: the page the step was started from. */
  back: string;
  /** Fields carried over from the form that led here (the login edit form), posted again as they were. */
  fields?: Record<string, string>;
}

export const NOT_CONFIRMED = "Nothing was changed: this step is done only from its confirmation page. Check what will happen below, then press the button to go ahead.";

/** Whether the form carries the confirmation page's `confirm=yes`. */
export const isConfirmed = (req: Request): boolean => (req.body as Record<string, unknown> | undefined)?.confirm === "yes";

/** The confirmation page; with `problem`, the refused POST that lacked `confirm=yes`. */
export function renderConfirmation(res: Response, status: number, confirmation: Confirmation, problem?: string): void {
  res.status(status).render("partials/confirm", { title: confirmation.title, confirmation, problems: problem ? { confirm: problem } : {} });
}

export interface DestructiveStep<T> {
  /** The row the step acts on, or a 404 (the route's own ownership check). */
  load: (req: Request) => Promise<T>;
  confirmation: (row: T, req: Request) => Confirmation;
  /** Does the step and answers (a redirect with a flash); called only once confirmed. */
  act: (req: Request, res: Response, row: T) => Promise<void>;
}

/**
 * GET `path` shows the confirmation page, POST `path` does the step only when confirmed. A
 * step-up guard on the POST should send the user back to `path` (the page), so after the code
 * they land on the confirmation again, one press from done.
 */
export function destructiveStep<T>(router: Router, path: string, step: DestructiveStep<T>): void {
  router.get(path, async (req, res) => renderConfirmation(res, 200, step.confirmation(await step.load(req), req)));
  router.post(path, async (req, res) => {
    const row = await step.load(req);
    if (!isConfirmed(req)) return renderConfirmation(res, 400, step.confirmation(row, req), NOT_CONFIRMED);
    await step.act(req, res, row);
  });
}
