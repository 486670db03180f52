import type { Request, RequestHandler, Response } from "express";
import multer from "multer";
import type { Problems } from "../shared/problems.js";
import { isStaff } from "../shared/roles.js";
import { ATTACHMENT_MAX_COUNT, ATTACHMENTS_FIELD, attachmentHint, checkFiles, filesRefusedOn, TOO_MANY_PROBLEM, tooLargeProblem, type Attachment, type CheckedFile, type IncomingFile, type Ticket } from "../tickets/index.js";

/** The posts that take files: the portal's new ticket and reply, the desk's reply and note. */
const UPLOAD_PATHS = /^\/(?:tickets|tickets\/\d+\/replies|desk\/tickets\/\d+\/(?:replies|notes))$/;

/** What a multipart form brought: its files, or the one problem that stopped reading them. */
export interface Uploads {
  files: IncomingFile[];
  problem?: string;
}

const uploadsOf = new WeakMap<Request, Uploads>();

/** The files a post brought (none for a urlencoded form). */
const uploadsFrom = (req: Request): Uploads => uploadsOf.get(req) ?? { files: [] };

/** A form cut off or malformed (busboy's own errors: no boundary, an unexpected end): bad input, not a fault. */
const UNREADABLE_FORM = "The form could not be read (it was cut off or malformed): send it again.";

function problemOf(err: unknown, maxBytes: number): string {
  if (!(err instanceof multer.MulterError)) return UNREADABLE_FORM;
  if (err.code === "LIMIT_FILE_SIZE") return `A file is too large. ${tooLargeProblem(maxBytes)}`;
  if (err.code === "LIMIT_FILE_COUNT") return TOO_MANY_PROBLEM;
  if (err.code === "LIMIT_UNEXPECTED_FILE") return "Files go in the attachments field only.";
  return "The form was too large to read: send fewer or shorter fields.";
}

/**
 * Reads multipart forms (in memory, within the limits) BEFORE the CSRF check, which then finds
 * `_csrf` in the body as on any form: no token in a URL, every form works without JavaScript.
 * Only for signed-in sessions on the upload paths (the desk's for staff), so nobody else makes
 * the server hold files.
 * A limit crossed is not an error page: the route shows it next to the file field, and since
 * the fields before the file (`_csrf`, the message) are read by then, the form comes back
 * filled in.
 */
export function readUploads(maxBytes: number): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    // Browsers send a file's name as UTF-8 bytes without saying so.
    defParamCharset: "utf8",
    limits: { fileSize: maxBytes, files: ATTACHMENT_MAX_COUNT, fields: 100, fieldSize: 100 * 1024, parts: 100 + ATTACHMENT_MAX_COUNT },
  }).array(ATTACHMENTS_FIELD);
  const hint = attachmentHint(maxBytes);
  return (req, res, next) => {
    // The file fields' hint states the limits this reader enforces.
    res.locals.attachmentHint = hint;
    if (req.method !== "POST" || !req.user || !req.is("multipart/form-data") || !UPLOAD_PATHS.test(req.path)) return next();
    // A customer's post to the desk is refused further on: its files are not read at all.
    if (req.path.startsWith("/desk/") && !isStaff(req.user.role)) return next();
    void parse(req, res, (err?: unknown) => {
      try {
        const files = ((req.files ?? []) as Express.Multer.File[]).map((f) => ({ filename: f.originalname, content: f.buffer }));
        // Files the browser sends for an empty file field: no name, no bytes.
        const chosen = files.filter((f) => f.filename !== "" || f.content.length > 0);
        uploadsOf.set(req, err === undefined ? { files: chosen } : { files: [], problem: problemOf(err, maxBytes) });
        next();
      } catch (unexpected) {
        next(unexpected);
      }
    });
  };
}

/**
 * The files of a post, checked for `ticket` (null: a new ticket), their problem under `key`
 * (the file field's name on the page). Nothing is stored here; a refusal names the problem.
 */
export async function checkedUploads(req: Request, ticket: Ticket | null, maxBytes: number, key: string): Promise<{ ok: true; files: CheckedFile[] } | { ok: false; problems: Problems }> {
  const uploads = uploadsFrom(req);
  if (uploads.problem !== undefined) return { ok: false, problems: { [key]: uploads.problem } };
  const onReset = ticket ? filesRefusedOn(ticket, uploads.files) : ({ ok: true } as const);
  const checked = onReset.ok ? await checkFiles(uploads.files, maxBytes) : onReset;
  if (!checked.ok) return { ok: false, problems: { [key]: Object.values(checked.problems)[0]! } };
  return { ok: true, files: checked.value };
}

/** The bytes of one attachment, as a download the browser never renders nor guesses the type of. */
export function sendAttachment(res: Response, file: Attachment & { content: Buffer }): void {
  // RFC 8187: every byte outside attr-char percent-encoded; a plain ASCII fallback for old clients.
  const encoded = encodeURIComponent(file.filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const fallback = file.filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  res.set({
    "Content-Type": file.contentType || "application/octet-stream",
    "Content-Length": String(file.content.length),
    "Content-Disposition": `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
  });
  res.end(file.content);
}
