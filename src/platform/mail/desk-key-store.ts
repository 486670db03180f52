import type { Knex } from "knex";
import { asDate, type Db } from "../../shared/db.js";
import { cancelled, whereNotHandedOver } from "./outbox-store.js";

/** A desk key the desk has published. */
export interface DeskKeyRecord {
  fingerprint: string;
  createdAt: Date;
  retiredAt: Date | null;
  madeUnderRotateFlag: boolean;
}

export async function publishedDeskKeys(db: Db): Promise<DeskKeyRecord[]> {
  const rows = (await db("desk_keys").select("fingerprint", "created_at", "retired_at", "made_under_rotate_flag").orderBy("created_at")) as Record<string, unknown>[];
  return rows.map((r) => ({
    fingerprint: r.fingerprint as string,
    createdAt: asDate(r.created_at)!,
    retiredAt: asDate(r.retired_at),
    madeUnderRotateFlag: Boolean(r.made_under_rotate_flag),
  }));
}

/** Records a key as published (once: a second start, or a second process, changes nothing). */
export async function recordDeskKey(trx: Knex.Transaction, key: { fingerprint: string; publicKey: string; madeUnderRotateFlag: boolean }, now: Date): Promise<void> {
  await trx("desk_keys")
    .insert({ fingerprint: key.fingerprint, public_key: key.publicKey, created_at: now, made_under_rotate_flag: key.madeUnderRotateFlag })
    .onConflict("fingerprint")
    .ignore();
}

/** Marks every published key but `current` as retired. */
export async function retireOtherDeskKeys(trx: Knex.Transaction, current: string, now: Date): Promise<void> {
  await trx("desk_keys").whereNot({ fingerprint: current }).whereNull("retired_at").update({ retired_at: now });
}

/** A start without DESK_KEY_ROTATE: the next start with it set rotates again. */
export async function clearRotateFlag(db: Db): Promise<void> {
  await db("desk_keys").where({ made_under_rotate_flag: true }).update({ made_under_rotate_flag: false });
}

/** Sealed mail that may still be sent (an admin can retry a dead one): it needs a desk key to open. */
export async function unsentSealedMail(db: Db): Promise<{ id: number; message: string }[]> {
  const rows = (await db("outbox").where({ sealed: true }).whereIn("status", ["queued", "sending", "failed", "dead"]).select("id", "message").orderBy("id")) as { id: number; message: string }[];
  return rows.map((r) => ({ id: r.id, message: r.message }));
}

/** Stops mail for good that no key the desk holds can open. */
export async function cancelUnopenableMail(trx: Knex.Transaction, ids: number[], reason: string, now: Date): Promise<number> {
  if (ids.length === 0) return 0;
  return whereNotHandedOver(trx("outbox").whereIn("id", ids)).update(cancelled(reason, now));
}
