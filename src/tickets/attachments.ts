import { createHash } from "node:crypto";
import type { Knex } from "knex";
import { fileTypeFromBuffer } from "file-type";
import type { Actor } from "../shared/actor.js";
import { appendAudit } from "../platform/audit/audit-log.js";
import { done, NOT_THERE, refusedAt, Refusal, type Result } from "../shared/problems.js";
import { insertAttachment } from "./attachments-store.js";
import { findTicketForUpdate, type Ticket } from "./tickets-store.js";
import type { TicketDeps } from "./ticket-service.js";

/** A file as it arrives, from a form or an inbound mail: its given name and its bytes. */
export interface IncomingFile {
  filename: string;
  content: Buffer;
}

/** A file that passed the checks: the type is the one its content shows. */
export interface CheckedFile extends IncomingFile {
  contentType: string;
  sha256: string;
}

export const ATTACHMENTS_FIELD = "attachments";
export const ATTACHMENT_MAX_COUNT = 5;

/** Types recognised from their magic numbers; everything else is refused by name. */
const ALLOWED_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "application/zip"]);
/** Text has no magic number: accepted when named as text and it is valid UTF-8 without NUL. */
const TEXT_NAME = /\.(txt|log|csv)$/i;

export const RESET_ATTACHMENT_PROBLEM = "A reset request takes no attachments: reply in words only.";
export const tooLargeProblem = (maxBytes: number) => `Each file may be at most ${Math.floor(maxBytes / (1024 * 1024))} MB.`;
export const TOO_MANY_PROBLEM = `Attach at most ${ATTACHMENT_MAX_COUNT} files at once.`;
const ACCEPTED_TYPES = "images (PNG, JPEG, GIF, WebP), PDF, ZIP or plain text (.txt, .log, .csv)";
const wrongTypeProblem = (name: string) => `${name} is not a type we accept: attach ${ACCEPTED_TYPES}.`;
/** The file fields' hint: what they take. */
export const attachmentHint = (maxBytes: number) => `Optional. Up to ${ATTACHMENT_MAX_COUNT} files, each at most ${Math.floor(maxBytes / (1024 * 1024))} MB: ${ACCEPTED_TYPES}.`;

/** A name safe to show and to put in a header: no path, no control characters, not too long. */
function displayName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 200);
  return clean === "" || clean === "." || clean === ".." ? "attachment" : clean;
}

function isPlainText(content: Buffer): boolean {
  if (content.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(content);
    return true;
  } catch {
    return false;
  }
}

/** Checks count, size and type (from the content, never the name or the declared type). */
/** `maxBytes` is config.attachmentMaxBytes (ATTACHMENT_MAX_MB). */
export async function checkFiles(files: readonly IncomingFile[], maxBytes: number): Promise<Result<CheckedFile[]>> {
  if (files.length > ATTACHMENT_MAX_COUNT) return refusedAt(ATTACHMENTS_FIELD, TOO_MANY_PROBLEM);
  const checked: CheckedFile[] = [];
  for (const file of files) {
    const filename = displayName(file.filename);
    if (file.content.length > maxBytes) return refusedAt(ATTACHMENTS_FIELD, `${filename} is too large. ${tooLargeProblem(maxBytes)}`);
    if (file.content.length === 0) return refusedAt(ATTACHMENTS_FIELD, `${filename} is empty.`);
    const detected = await fileTypeFromBuffer(file.content);
    const contentType = detected ? detected.mime : TEXT_NAME.test(filename) && isPlainText(file.content) ? "text/plain; charset=utf-8" : null;
    if (contentType === null || (detected && !ALLOWED_TYPES.has(contentType))) return refusedAt(ATTACHMENTS_FIELD, wrongTypeProblem(filename));
    checked.push({ filename, content: file.content, contentType, sha256: createHash("sha256").update(file.content).digest("hex") });
  }
  return { ok: true, value: checked };
}

/** A reset request never takes files, in either direction: asked before anything is written. */
export function filesRefusedOn(ticket: Ticket, files: readonly unknown[]): Result {
  return files.length > 0 && ticket.type === "primary_reset" ? refusedAt(ATTACHMENTS_FIELD, RESET_ATTACHMENT_PROBLEM) : done();
}

/**
 * Stores checked files with the event they came with, inside that event's transaction (the
 * caller asked filesRefusedOn first); an internal note's files are internal.
 */
export async function storeFiles(trx: Knex.Transaction, actor: Actor, ticketId: number, eventId: number, internal: boolean, files: readonly CheckedFile[], now: Date): Promise<void> {
  for (const f of files) {
    const id = await insertAttachment(trx, { ticketId, eventId, sha256: f.sha256, filename: f.filename, contentType: f.contentType, content: f.content, uploadedBy: actor.id, internal }, now);
    await appendAudit(trx, { actorId: actor.id, actor: actor.username, ip: actor.ip, action: "ticket.attachment_added", subject: `ticket:${ticketId}`, details: { attachmentId: id, eventId, sha256: f.sha256, size: f.content.length, contentType: f.contentType } }, now);
  }
}

/**
 * For callers outside a form (the inbound mail router): the same checks, then the files on an
 * existing event of the ticket, with that event's visibility. A refusal stores nothing.
 */
export async function attachFiles(deps: TicketDeps, ticketId: number, eventId: number, files: readonly IncomingFile[], actor: Actor, maxBytes: number): Promise<Result> {
  const checked = await checkFiles(files, maxBytes);
  if (!checked.ok) return checked;
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const ticket = await findTicketForUpdate(trx, ticketId);
    const event: { visibility: string } | undefined = ticket ? await trx("ticket_events").where({ id: eventId, ticket_id: ticketId }).first("visibility") : undefined;
    if (!ticket || !event) throw new Refusal("missing", NOT_THERE);
    const refusal = filesRefusedOn(ticket, checked.value);
    if (!refusal.ok) return refusal;
    await storeFiles(trx, actor, ticket.id, eventId, event.visibility === "internal", checked.value, now);
    return done();
  });
}
