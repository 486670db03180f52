import { randomBytes } from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import MimeNode from "nodemailer/lib/mime-node";
import type * as openpgp from "openpgp";
import type { DeskKey } from "./desk-key.js";
import { encryptAndSign, encryptWithPassphrase, sealForDesk } from "./pgp.js";

/** What every mail needs, whatever its kind. */
export interface MailContent {
  to: string;
  subject: string;
  /** The template kind, shown in the mail log. */
  template: string;
  text: string;
  ticketId?: number | null;
  /** Where a reply should go (a ticket's reply+<token> address), when not to the sender. */
  replyTo?: string | null;
}

/** A message ready for the outbox: the full RFC 5322 text and what the mail log shows of it. */
export interface ComposedMail {
  to: string;
  subject: string;
  template: string;
  messageId: string;
  raw: string;
  encrypted: boolean;
  /** The raw text is sealed to the desk key at rest: it carries a credential in clear. */
  sealed: boolean;
  ticketId: number | null;
}

export interface Sender {
  from: string;
  /** The domain part of Message-IDs. */
  hostname: string;
  /** INBOUND_DOMAIN: the domain of ticket mail's reply addresses; null when the desk takes no mail in. */
  replyDomain?: string | null;
}

const newMessageId = (hostname: string) => `<${randomBytes(16).toString("hex")}@${hostname}>`;

/** Every mail the desk writes is automated (RFC 3834): auto-responders and vacation notices must not answer it. */
const AUTOMATED = { "Auto-Submitted": "auto-generated" } as const;

/**
 * A mail in clear: plain text, with an HTML alternative when `html` is given. An answer to a mail that came in
 * says `Auto-Submitted: auto-replied` (RFC 3834) instead.
 */
export async function composePlain(
  sender: Sender,
  mail: MailContent & { html: string | null; autoReplied?: boolean },
  now: Date,
): Promise<ComposedMail> {
  const messageId = newMessageId(sender.hostname);
  const composer = new MailComposer({
    from: sender.from,
    to: mail.to,
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    subject: mail.subject,
    text: mail.text,
    ...(mail.html === null ? {} : { html: mail.html }),
    messageId,
    date: now,
    headers: mail.autoReplied ? { "Auto-Submitted": "auto-replied" } : AUTOMATED,
    textEncoding: "quoted-printable",
  });
  const raw = await composer.compile().build();
  return { ...common(mail, messageId), raw: raw.toString("utf8"), encrypted: false, sealed: false };
}

/**
 * A mail in clear that carries a single-use link (plain text only, no HTML copy): what the
 * outbox keeps is sealed to the desk key and opened only by the worker as it sends.
 */
export async function composeSealed(sender: Sender, mail: MailContent, deskKey: DeskKey, now: Date): Promise<ComposedMail> {
  const plain = await composePlain(sender, { ...mail, html: null }, now);
  return { ...plain, raw: await sealForDesk(plain.raw, deskKey), sealed: true };
}

/**
 * A mail carrying a secret, as PGP/MIME (RFC 3156): the text/plain part is encrypted to the
 * recipient's key and signed by the desk; the outer message shows only From, To, Subject
 * (which must hold no secret), Date and Message-ID.
 */
export async function composeEncrypted(
  sender: Sender,
  mail: MailContent,
  recipientKey: openpgp.PublicKey,
  deskKey: DeskKey,
  now: Date,
): Promise<ComposedMail> {
  const messageId = newMessageId(sender.hostname);
  // 8bit, not quoted-printable: the part travels inside the OpenPGP message, which carries any bytes,
  // so `gpg --decrypt` shows the holder plain text (no "=E2=80=94", no soft line breaks). Written by
  // hand because nodemailer's MimeNode encodes every non-ASCII text part.
  const inner = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${mail.text.replace(/\r?\n/g, "\r\n")}`, "utf8");
  const armored = await encryptAndSign(inner, recipientKey, deskKey, now);

  const root = new MimeNode('multipart/encrypted; protocol="application/pgp-encrypted"', { hostname: sender.hostname, newline: "win" });
  root.setHeader({ From: sender.from, To: mail.to, Subject: mail.subject, Date: now, "Message-ID": messageId, ...AUTOMATED });
  root
    .createChild("application/pgp-encrypted")
    .setHeader({ "Content-Description": "PGP/MIME version identification", "Content-Transfer-Encoding": "7bit" })
    .setContent("Version: 1\r\n");
  root
    .createChild("application/octet-stream", { filename: "encrypted.asc" })
    .setHeader({ "Content-Description": "OpenPGP encrypted message", "Content-Disposition": "inline; filename=\"encrypted.asc\"", "Content-Transfer-Encoding": "7bit" })
    .setContent(armored);
  return { ...common(mail, messageId), raw: writeMime(root), encrypted: true, sealed: false };
}

/**
 * What `root.build()` gives (CRLF line ends, a line end last) for a tree whose parts are strings
 * sent as they are (7bit), written in one go: build() streams each part through several
 * event-loop turns, which cost more than encrypting a short mail. The PGP/MIME envelope's two
 * parts are such strings.
 */
export function writeMime(root: MimeNode): string {
  const entity = entityOf(root).replace(/\r?\n/g, "\r\n");
  return entity.endsWith("\r\n") ? entity : `${entity}\r\n`;
}

function entityOf(node: MimeNode): string {
  // Also settles the node's multipart kind and boundary.
  const headers = node.buildHeaders();
  if (node.multipart && node.boundary) {
    const parts = node.childNodes.map((child, i) => `${i > 0 ? "\r\n" : ""}--${node.boundary}\r\n${entityOf(child)}`).join("");
    return `${headers}\r\n\r\n${parts}\r\n--${node.boundary}--\r\n`;
  }
  if (typeof node.content !== "string" || node.getTransferEncoding() !== "7bit") throw new Error("writeMime writes 7bit text parts only");
  return `${headers}\r\n\r\n${node.content}`;
}

/** The file name of the locked message attached to a passphrase-locked mail. */
export const LOCKED_MESSAGE_FILE = "vouchdesk-message.asc";

/**
 * A mail for a holder without a key: `secret` travels as an OpenPGP message locked with a
 * passphrase given out of band (read on the phone) and signed by the desk. `mail.text` is the
 * instructions in clear, into which `withLocked` writes the armoured message, so it can be
 * copied from any mail program; the same message is attached as a file, 7bit so that a saved
 * .eml holds it verbatim (the quoted-printable text part escapes its "="). The outbox keeps the
 * whole mail sealed to the desk: whoever knows the passphrase must not find the message there.
 */
export async function composePassphraseLocked(
  sender: Sender,
  mail: Omit<MailContent, "text">,
  withLocked: (armored: string) => Promise<string>,
  locked: { secret: string; passphrase: string },
  deskKey: DeskKey,
  now: Date,
): Promise<ComposedMail> {
  const messageId = newMessageId(sender.hostname);
  const armored = await encryptWithPassphrase(locked.secret, locked.passphrase, deskKey, now);
  const root = new MimeNode("multipart/mixed", { hostname: sender.hostname, newline: "win" });
  root.setHeader({ From: sender.from, To: mail.to, Subject: mail.subject, Date: now, "Message-ID": messageId, ...AUTOMATED });
  root.createChild("text/plain; charset=utf-8").setHeader("Content-Transfer-Encoding", "quoted-printable").setContent(await withLocked(armored));
  root
    .createChild("text/plain; charset=us-ascii", { filename: LOCKED_MESSAGE_FILE })
    .setHeader({ "Content-Description": "OpenPGP message locked with a passphrase", "Content-Disposition": `attachment; filename="${LOCKED_MESSAGE_FILE}"`, "Content-Transfer-Encoding": "7bit" })
    .setContent(armored);
  const raw = (await root.build()).toString("utf8");
  return { ...common(mail, messageId), raw: await sealForDesk(raw, deskKey), encrypted: true, sealed: true };
}

function common(mail: Omit<MailContent, "text">, messageId: string) {
  return { to: mail.to, subject: mail.subject, template: mail.template, messageId, ticketId: mail.ticketId ?? null };
}
