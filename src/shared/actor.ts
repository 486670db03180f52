import type { Role } from "./roles.js";

/** Who acts and from where: the signed-in login a rule checks and the audit log names. */
export interface Actor {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  accountId: number | null;
  ip: string | null;
}

/** An audit entry's who and where; all null for the desk's own scheduled steps. */
export const auditedBy = (actor: Actor | null) => ({ actorId: actor?.id ?? null, actor: actor?.username ?? null, ip: actor?.ip ?? null });
