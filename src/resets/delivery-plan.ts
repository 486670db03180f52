import { describeChange, type Contact } from "../accounts/index.js";
import type { StoredKey } from "../identity/index.js";
import { formatUtc, groupFingerprint } from "../shared/formatting.js";
import type { Callback } from "./reset-store.js";
import type { VerificationFacts } from "./verification.js";

// How the temporary password will reach the primary holder (DESIGN §3 steps 4 and 4b): encrypted
// to its usable key, or locked with the passphrase read to the holder on a confirmed callback,
// or not at all yet (and what is missing). One reading, for approval, the checklist and the panel.

export type DeliveryPlan =
  | { kind: "key"; key: StoredKey; words: string }
  | { kind: "passphrase"; callback: Callback; words: string }
  | { kind: "none"; words: string };

/** The recent change of the called contact's number made by the agent who then called it, if any. */
export const ownNumberChange = (facts: Pick<VerificationFacts, "recentChanges">, callback: Pick<Callback, "contactId" | "agentId">) =>
  facts.recentChanges.find((c) => c.what === "phone" && c.contactId === callback.contactId && c.changedBy === callback.agentId);

/** The contact on file that is the primary holder: the one whose login is the primary. */
export const primaryContactOf = (facts: Pick<VerificationFacts, "contacts" | "primary">): Contact | null => facts.contacts.find((c) => c.userId === facts.primary.id) ?? null;

/**
 * Whether a callback, just recorded, is one the holder's passphrase is read on: confirmed, to
 * the primary contact, counting (not to a number its caller just set), while the primary has
 * a registered address and no usable key, and key-less delivery is on.
 */
export function readsPassphrase(facts: VerificationFacts, callback: Pick<Callback, "contactId" | "agentId" | "outcome">, keyless: boolean): boolean {
  return keyless && facts.keyProblem !== null && Boolean(facts.primary.email) && callback.outcome === "confirmed" &&
    primaryContactOf(facts)?.id === callback.contactId && !ownNumberChange(facts, callback);
}

/** Which delivery this request will use if approved now, in the words the checklist and the panel show. */
export function deliveryPlanOf(facts: VerificationFacts, keyless: boolean): DeliveryPlan {
  if (facts.keyProblem === null) return { kind: "key", key: facts.key!, words: `encrypted to key ${groupFingerprint(facts.key!.fingerprint)}` };
  if (!keyless || !facts.primary.email) return { kind: "none", words: facts.keyProblem };
  const holder = primaryContactOf(facts);
  if (!holder) return { kind: "none", words: `${facts.keyProblem} No contact on file is the holder of ${facts.primary.username}: add the holder as a contact linked to that login, or register a key for it.` };
  const read = facts.callbacks.find((c) => c.id === facts.request.passphraseCallbackId);
  if (facts.request.hasDeliveryPassphrase && read && readsPassphrase(facts, read, keyless)) {
    const voided = voidingChange(facts, read);
    if (!voided) return { kind: "passphrase", callback: read, words: `locked with the passphrase ${read.agentUsername} read to ${read.contactName} on ${formatUtc(read.createdAt)}` };
    return { kind: "none", words: `${facts.keyProblem} The passphrase ${read.agentUsername} read on ${formatUtc(read.createdAt)} no longer counts: ${voided}. Another agent calls back ${holder.name} and records a confirmed callback for a new one.` };
  }
  if (!holder.phone) return { kind: "none", words: `${facts.keyProblem} ${holder.name}, the holder, has no phone number on file to call back and read a passphrase to.` };
  return { kind: "none", words: `${facts.keyProblem} Call back ${holder.name} on a number on file and record a confirmed callback: the desk will show a passphrase to read out.` };
}

/**
 * Why a passphrase read on `read` no longer counts, or null: the records it was read against
 * changed afterwards (the primary's address or key, a contact's number), or its reader made one
 * of the recent changes. Who knows the passphrase must not also have chosen where the mail goes.
 */
function voidingChange(facts: Pick<VerificationFacts, "recentChanges">, read: Pick<Callback, "agentId" | "createdAt">): string | null {
  const after = facts.recentChanges.find((c) => c.createdAt.getTime() > read.createdAt.getTime());
  if (after) return `${describeChange(after)} changed after it`;
  const own = facts.recentChanges.find((c) => c.changedBy === read.agentId);
  return own ? `its reader changed ${describeChange(own)} within the last 7 days` : null;
}
