/** Files for the attachment tests, made here (no fixtures on disk), and a multipart form post. */
import { csrfToken } from "./forms.js";
import type { Agent } from "./http.js";

export interface TestFile {
  name: string;
  content: Buffer;
}

/** A tiny valid one-page PDF that says `text`, with its cross-reference table. */
export function tinyPdf(text = "Hello"): Buffer {
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

/** A 1×1 PNG. */
export const tinyPng = (): Buffer =>
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

/** The start of a Windows executable (the MZ header and the PE signature): what file-type sees of an .exe. */
export function windowsExe(): Buffer {
  const exe = Buffer.alloc(512);
  exe.write("MZ", 0, "latin1");
  exe.writeUInt32LE(0x80, 0x3c);
  exe.write("PE\0\0", 0x80, "latin1");
  return exe;
}

/**
 * Posts a multipart form as a browser does: the `_csrf` token (read from `csrfPage`; none when
 * null), the fields, then the files in the `attachments` field.
 */
export async function postFiles(agent: Agent, path: string, fields: Record<string, string>, files: readonly TestFile[], csrfPage: string | null) {
  const request = agent.post(path);
  if (csrfPage !== null) void request.field("_csrf", await csrfToken(agent, csrfPage));
  for (const [name, value] of Object.entries(fields)) void request.field(name, value);
  for (const file of files) void request.attach("attachments", file.content, file.name);
  return request;
}
