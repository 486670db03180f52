import type { Db } from "../../shared/db.js";
import { unseal, type DataKey } from "../../shared/sealing.js";
import { sealContext } from "./second-factors.js";
import { anySealedTotp } from "./second-factors-store.js";

/**
 * Whether this data key opens the secrets the database holds sealed. A lost var/data-key is
 * generated afresh at the next start, and every login with an authenticator would then fail its
 * second step: the start refuses instead, and says what to put back.
 */
export async function dataKeyOpensSecrets(db: Db, dataKey: DataKey): Promise<boolean> {
  const row = await anySealedTotp(db);
  if (!row) return true;
  try {
    unseal(dataKey, row.secretSealed, sealContext(row.userId));
    return true;
  } catch {
    return false;
  }
}
