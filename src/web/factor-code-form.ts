import { z } from "zod";

const ENTER_CODE = "Enter the code from your authenticator app, or a recovery code.";

/** A form field holding an authenticator's six digits or a recovery code; spaces (as apps show codes) do not count. */
export const factorCode = z
  .string({ error: ENTER_CODE })
  .transform((c) => c.replace(/\s+/g, ""))
  .pipe(z.string().min(1, ENTER_CODE).max(64, "That code is too long: an authenticator code has 6 digits, a recovery code 16 letters and digits."));
