import type { z } from "zod";

export type Problems = Record<string, string>;
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
