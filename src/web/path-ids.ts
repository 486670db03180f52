import { isRowId } from "../shared/row-ids.js";
import { notFound } from "./errors.js";

/**
 * The row id in a path (`/…/:id`), with one rule for every route: digits naming a row an
 * integer column can hold (1..MAX_ROW_ID). Anything else (`abc`, `0`, `1.5`, a number too long
 * for the column) is the same 404, with the same `missing` text, as an id that names no row.
 */
export function pathId(value: string | undefined, missing?: string): number {
  if (value === undefined || !isRowId(value)) throw notFound(missing);
  return Number(value);
}

/** The row named by the path's id; a malformed id and an unknown one are the same 404 `missing`. */
export async function rowAtPath<T>(value: string | undefined, find: (id: number) => Promise<T | null | undefined>, missing: string): Promise<T> {
  const row = await find(pathId(value, missing));
  if (!row) throw notFound(missing);
  return row;
}
