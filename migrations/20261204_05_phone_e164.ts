import type { Knex } from "knex";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Issue 16: contacts' numbers, and the number each callback dialled, in E.164 as
 * libphonenumber reads them (the forms now refuse anything else). A stored number that is not
 * a valid one is left as it is: the admin's account page and the reset panel mark it "not a
 * valid number" for an admin to correct. The change time of a number is not moved: the same
 * number written another way is no change of the records (DESIGN §3's 7-day rule).
 */
const COLUMNS = [
  { table: "contacts", column: "phone" },
  { table: "callbacks", column: "phone_dialled" },
];

function e164(stored: string): string | null {
  const number = parsePhoneNumberFromString(stored.trim().replace(/^00/, "+"));
  return number?.isValid() ? number.number : null;
}

export async function up(knex: Knex): Promise<void> {
  for (const { table, column } of COLUMNS) {
    const rows = await knex<{ id: number } & Record<string, string>>(table).whereNotNull(column).select("id", column);
    for (const row of rows) {
      const stored = row[column]!;
      const number = e164(stored);
      if (number !== null && number !== stored) await knex(table).where("id", row.id).update({ [column]: number });
    }
  }
}

/** E.164 was already the form the desk stored; there is nothing to undo. */
export function down(): Promise<void> {
  return Promise.resolve();
}
