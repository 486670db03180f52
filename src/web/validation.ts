import type { RequestHandler } from "express";
import type { z } from "zod";
import { HttpError } from "./errors.js";
import type { Problems } from "../shared/problems.js";

export type Parsed<T> = { ok: true; data: T } | { ok: false; problems: Problems };

/** Parses a form body; on failure, one named problem per field for the re-rendered form. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data };
  const problems: Problems = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "form");
    problems[field] ??= issue.message;
  }
  return { ok: false, problems };
}

const hasNul = (value: unknown): boolean =>
  typeof value === "string" ? value.includes("\u0000") : Array.isArray(value) ? value.some(hasNul) : false;

/**
 * No form field or query value may hold a NUL character: no text the desk keeps can contain
 * one (PostgreSQL refuses it outright), so it is a 400 here rather than a 500 deep down.
 */
export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  const values = [...Object.values((req.body ?? {}) as Record<string, unknown>), ...Object.values(req.query)];
  next(values.some(hasNul) ? new HttpError(400, "The form held a NUL character, which no field accepts. Type the text again.") : undefined);
};
