import type { Knex } from "knex";
import { asDate, insertReturningId, type Db } from "../shared/db.js";

/** One file on a ticket, as the timeline and the download route see it. */
export interface Attachment {
  id: number;
  ticketId: number;
  eventId: number;
  sha256: string;
  filename: string;
  contentType: string;
  size: number;
  internal: boolean;
  createdAt: Date;
}

export interface NewAttachment {
  ticketId: number;
  eventId: number;
  sha256: string;
  filename: string;
  contentType: string;
  content: Buffer;
  uploadedBy: number;
  internal: boolean;
}

const toAttachment = (r: Record<string, unknown>): Attachment => ({
  id: Number(r.id),
  ticketId: Number(r.ticket_id),
  eventId: Number(r.event_id),
  sha256: String(r.sha256),
  filename: String(r.filename),
  contentType: String(r.content_type),
  size: Number(r.size),
  internal: Boolean(r.internal),
  createdAt: asDate(r.created_at)!,
});

/** The bytes once per digest (the same file twice is stored once), then the row that names them. */
export async function insertAttachment(trx: Knex.Transaction, a: NewAttachment, now: Date): Promise<number> {
  await trx("attachment_blobs").insert({ sha256: a.sha256, content: a.content, size: a.content.length, created_at: now }).onConflict("sha256").ignore();
  return insertReturningId(trx, "attachments", {
    ticket_id: a.ticketId,
    event_id: a.eventId,
    sha256: a.sha256,
    filename: a.filename,
    content_type: a.contentType,
    size: a.content.length,
    uploaded_by: a.uploadedBy,
    internal: a.internal,
    created_at: now,
  });
}

/** The files of these events of a ticket (the timeline page's), oldest first; `public` leaves out internal notes' files. */
export async function listAttachments(db: Db, ticketId: number, visibility: "public" | "all", eventIds: readonly number[]): Promise<Attachment[]> {
  const q = db("attachments").where({ ticket_id: ticketId }).whereIn("event_id", eventIds).orderBy("id");
  if (visibility === "public") void q.andWhere({ internal: false });
  return (await q).map(toAttachment);
}

/** One attachment of one ticket with its bytes; a wrong ticket/attachment pair is none. */
export async function findAttachmentContent(db: Db, ticketId: number, attachmentId: number): Promise<(Attachment & { content: Buffer }) | null> {
  const row: Record<string, unknown> | undefined = await db("attachments as a").join("attachment_blobs as b", "b.sha256", "a.sha256").where({ "a.id": attachmentId, "a.ticket_id": ticketId }).first("a.*", "b.content");
  return row ? { ...toAttachment(row), content: Buffer.from(row.content as Uint8Array) } : null;
}
