import { z } from "zod";
import { MAX_KEY_BYTES } from "../identity/index.js";

/** A pasted OpenPGP public key, as the holder's own page and the admin's login page take it. */
export const keyForm = z.object({
  armored_key: z.string({ error: "Paste your public key." }).max(MAX_KEY_BYTES + 1024, "The key is larger than 64 KB."),
});
