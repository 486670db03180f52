/**
 * Issue 17 item 6: files on tickets. Uploaded with the portal's new ticket and reply and the
 * desk's reply and note (multipart, CSRF checked), typed from their content, served only to who
 * may see the ticket (an internal note's never to customers), never on a reset ticket; every
 * refusal names its problem next to the file field and stores nothing.
 */
import { expect } from "chai";
import { attachFiles, RESET_ATTACHMENT_PROBLEM, TOO_MANY_PROBLEM } from "../../src/tickets/index.js";
import { openRequest } from "../resets/helpers.js";
import { postFiles, tinyPdf, tinyPng, windowsExe, type TestFile } from "../support/files.js";
import type { Agent } from "../support/http.js";
import { count, type Row } from "../support/rows.js";
import { csrfToken } from "../support/forms.js";
import { browsers } from "../support/sign-in.js";
import { actorFor } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { addBetaAccount, openTicket, writeState } from "./helpers.js";

const pdf: TestFile = { name: "invoice März.pdf", content: tinyPdf("Invoice") };
const png: TestFile = { name: "screenshot.png", content: tinyPng() };

describe("attachments on tickets", () => {
  // 1 MB, so an oversized file is cheap to make.
  const t = useTestApp({ env: { ATTACHMENT_MAX_MB: "1" } });
  let as: (username: string) => Promise<Agent>;

  beforeEach(async () => {
    await addBetaAccount(t);
    as = browsers(t);
  });

  const attachmentRows = async () => (await t.db("attachments").orderBy("id")) as Row[];
  /** Everything a refused upload must leave alone: tickets, events, mail, audit, and no file stored. */
  const stored = async () => ({ ...(await writeState(t)), attachments: await count(t, "attachments"), blobs: await count(t, "attachment_blobs") });

  async function openWithFiles(agent: Agent, files: readonly TestFile[]) {
    return postFiles(agent, "/tickets", { type: "technical", subject: "Printer invoice", body: "See the files." }, files, "/tickets/new");
  }

  function expectDownload(res: { status: number; headers: Record<string, string>; body: unknown }, type: string, disposition: string, content: Buffer) {
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.equal(type);
    expect(res.headers["content-disposition"]).to.equal(disposition);
    expect(res.headers["x-content-type-options"]).to.equal("nosniff");
    expect(res.headers["content-security-policy"]).to.equal("default-src 'none'; sandbox");
    expect(res.headers["cache-control"]).to.equal("private, no-store");
    expect(Buffer.compare(res.body as Buffer, content)).to.equal(0);
  }
  const asBytes = (agent: Agent, path: string) => agent.get(path).buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => done(null, Buffer.concat(chunks)));
  });

  it("opens a ticket with a PDF and a PNG, typed from their content, audited, listed under the message and downloaded by its requester, the account's primary and staff only", async () => {
    const carol = await as("carol");
    const res = await openWithFiles(carol, [pdf, png]);
    expect(res.status, res.text?.slice(0, 1500)).to.equal(303);
    const id = Number(/\/tickets\/(\d+)$/.exec(res.headers.location as string)![1]);
    const rows = await attachmentRows();
    expect(rows.map((r) => [r.filename, r.content_type, Number(r.size), Boolean(r.internal), Number(r.ticket_id)])).to.deep.equal([
      ["invoice März.pdf", "application/pdf", pdf.content.length, false, id],
      ["screenshot.png", "image/png", png.content.length, false, id],
    ]);
    const firstEvent = (await t.db("ticket_events").where({ ticket_id: id }).first("id")) as Row;
    expect(rows.every((r) => Number(r.event_id) === Number(firstEvent.id))).to.equal(true);
    expect(await count(t, "attachment_blobs")).to.equal(2);
    expect(await count(t, "audit_log", { action: "ticket.attachment_added", subject: `ticket:${id}` })).to.equal(2);

    const [pdfId, pngId] = rows.map((r) => Number(r.id));
    const page = await carol.get(`/tickets/${id}`).expect(200);
    expect(page.text).to.include(`<a href="/tickets/${id}/attachments/${pdfId}" download>invoice März.pdf</a>`).and.include("screenshot.png");
    const disposition = "attachment; filename=\"invoice M_rz.pdf\"; filename*=UTF-8''invoice%20M%C3%A4rz.pdf";
    expectDownload(await asBytes(carol, `/tickets/${id}/attachments/${pdfId}`), "application/pdf", disposition, pdf.content);
    expectDownload(await asBytes(await as("ACM0001"), `/tickets/${id}/attachments/${pdfId}`), "application/pdf", disposition, pdf.content);
    const alice = await as("alice");
    expect((await alice.get(`/desk/tickets/${id}`).expect(200)).text).to.include(`<a href="/desk/tickets/${id}/attachments/${pngId}" download>screenshot.png</a>`);
    expectDownload(await asBytes(alice, `/desk/tickets/${id}/attachments/${pngId}`), "image/png", "attachment; filename=\"screenshot.png\"; filename*=UTF-8''screenshot.png", png.content);

    // A fellow secondary (dave) and another account see no ticket, so no file either.
    for (const other of ["dave", "erin", "BET0001"]) {
      const refused = await (await as(other)).get(`/tickets/${id}/attachments/${pdfId}`);
      expect(refused.status, other).to.equal(404);
      expect(refused.text).to.not.include("%PDF");
    }
    // A file asked for under another ticket, or a number that is no file of this one: 404.
    const otherTicket = await openTicket(carol, { subject: "Another one" });
    expect((await carol.get(`/tickets/${otherTicket}/attachments/${pdfId}`)).status).to.equal(404);
    expect((await alice.get(`/desk/tickets/${otherTicket}/attachments/${pdfId}`)).status).to.equal(404);
    expect((await carol.get(`/tickets/${id}/attachments/999999`)).status).to.equal(404);
    expect((await carol.get(`/tickets/${id}/attachments/abc`)).status).to.equal(404);
  });

  it("keeps an internal note's file from the customer, while the desk's public reply and the customer's reply carry theirs to both", async () => {
    const carol = await as("carol");
    const alice = await as("alice");
    const id = await openTicket(carol);
    const desk = `/desk/tickets/${id}`;
    const note = await postFiles(alice, `${desk}/notes`, { body: "The customer's printer log, for us." }, [{ name: "printer.log", content: Buffer.from("jam at tray 2\nsmoke\n") }], desk);
    expect(note.status, note.text?.slice(0, 1500)).to.equal(303);
    const reply = await postFiles(alice, `${desk}/replies`, { body: "Here is the manual." }, [{ name: "manual.pdf", content: tinyPdf("Manual") }], desk);
    expect(reply.status, reply.text?.slice(0, 1500)).to.equal(303);
    const customer = await postFiles(carol, `/tickets/${id}/replies`, { body: "A photo." }, [png], `/tickets/${id}`);
    expect(customer.status, customer.text?.slice(0, 1500)).to.equal(303);

    const rows = await attachmentRows();
    expect(rows.map((r) => [r.filename, r.content_type, Boolean(r.internal)])).to.deep.equal([
      ["printer.log", "text/plain; charset=utf-8", true],
      ["manual.pdf", "application/pdf", false],
      ["screenshot.png", "image/png", false],
    ]);
    const [logId, manualId, photoId] = rows.map((r) => Number(r.id));
    const portal = (await carol.get(`/tickets/${id}`).expect(200)).text;
    expect(portal).to.include("manual.pdf").and.include("screenshot.png").and.not.include("printer.log");
    const refused = await carol.get(`/tickets/${id}/attachments/${logId}`);
    expect(refused.status).to.equal(404);
    expect(refused.text).to.not.include("jam at tray");
    expect((await asBytes(carol, `/tickets/${id}/attachments/${manualId}`)).status).to.equal(200);
    const deskPage = (await alice.get(desk).expect(200)).text;
    expect(deskPage).to.include("printer.log").and.include("manual.pdf").and.include("screenshot.png");
    expectDownload(await asBytes(alice, `${desk}/attachments/${logId}`), "text/plain; charset=utf-8", "attachment; filename=\"printer.log\"; filename*=UTF-8''printer.log", Buffer.from("jam at tray 2\nsmoke\n"));
    expect((await asBytes(alice, `${desk}/attachments/${photoId}`)).status).to.equal(200);
    // Customers have no desk.
    expect((await carol.get(`${desk}/attachments/${logId}`)).status).to.equal(403);
  });

  it("refuses files on a reset ticket in either direction, with no file field on its forms, storing nothing", async () => {
    const id = await openRequest(t, "carol");
    const carol = await as("carol");
    const alice = await as("alice");
    const portal = (await carol.get(`/tickets/${id}`).expect(200)).text;
    const desk = (await alice.get(`/desk/tickets/${id}`).expect(200)).text;
    for (const html of [portal, desk]) expect(html).to.not.include('type="file"').and.not.include("multipart/form-data");

    const before = await stored();
    for (const [agent, path, page] of [
      [carol, `/tickets/${id}/replies`, `/tickets/${id}`],
      [alice, `/desk/tickets/${id}/replies`, `/desk/tickets/${id}`],
      [alice, `/desk/tickets/${id}/notes`, `/desk/tickets/${id}`],
    ] as const) {
      const res = await postFiles(agent, path, { body: "With a file." }, [pdf], page);
      expect(res.status, path).to.equal(400);
      expect(res.text, path).to.include(RESET_ATTACHMENT_PROBLEM);
    }
    expect(await stored()).to.deep.equal(before);
  });

  it("refuses an oversized file, a wrong type whatever its name, and too many files, naming the problem by the field and storing nothing", async () => {
    const carol = await as("carol");
    const before = await stored();
    const cases: [string, TestFile[], string][] = [
      ["oversized", [{ name: "big.pdf", content: Buffer.concat([tinyPdf(), Buffer.alloc(1024 * 1024)]) }], "A file is too large. Each file may be at most 1 MB."],
      ["an .exe renamed .pdf", [{ name: "invoice.pdf", content: windowsExe() }], "invoice.pdf is not a type we accept"],
      ["HTML renamed .png", [{ name: "photo.png", content: Buffer.from("<!doctype html><script>alert(document.cookie)</script>") }], "photo.png is not a type we accept"],
      ["text not named as text", [{ name: "notes.html", content: Buffer.from("plain words") }], "notes.html is not a type we accept"],
      ["too many", Array.from({ length: 6 }, (_, i) => ({ name: `p${i}.png`, content: tinyPng() })), TOO_MANY_PROBLEM],
    ];
    for (const [what, files, problem] of cases) {
      const res = await openWithFiles(carol, files);
      expect(res.status, what).to.equal(400);
      // Next to the file field, tied to it, and the message typed comes back.
      expect(res.text, what).to.match(new RegExp(`<p class="problem" id="field-attachments-problem">[^<]*${problem.replace(/[.()]/g, "\\$&")}`));
      expect(res.text, what).to.include('aria-invalid="true"').and.include("See the files.");
    }
    // The same on the desk's note, its problem under the note's field.
    const id = await openTicket(carol);
    const alice = await as("alice");
    const beforeNote = await stored();
    const note = await postFiles(alice, `/desk/tickets/${id}/notes`, { body: "A program." }, [{ name: "tool.pdf", content: windowsExe() }], `/desk/tickets/${id}`);
    expect(note.status).to.equal(400);
    expect(note.text).to.include('id="field-note_attachments-problem">tool.pdf is not a type we accept');
    expect(await stored()).to.deep.equal(beforeNote);
    expect(await count(t, "attachments")).to.equal(0);
    expect(await count(t, "attachment_blobs")).to.equal(0);
    expect(before.attachments).to.equal(0);
  });

  it("answers a cut-off or malformed multipart form with a named problem, never a 500, storing nothing", async () => {
    const carol = await as("carol");
    const before = await stored();
    const csrf = await csrfToken(carol, "/tickets/new");
    const field = (name: string, value: string) => `--B0UNDARY\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    // The fields arrive, then the file part stops mid-way: the connection ended before the closing boundary.
    const cutOff = field("_csrf", csrf) + field("type", "technical") + field("subject", "Printer invoice") + field("body", "See the files.") +
      '--B0UNDARY\r\nContent-Disposition: form-data; name="attachments"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 and then noth';
    const res = await carol.post("/tickets").set("Content-Type", "multipart/form-data; boundary=B0UNDARY").send(cutOff);
    expect(res.status).to.equal(400);
    expect(res.text).to.match(/id="field-attachments-problem">The form could not be read \(it was cut off or malformed\)/);
    expect(res.text).to.include("See the files.");
    // No boundary at all: nothing can be read, not even the token, so the CSRF check refuses it.
    const noBoundary = await carol.post("/tickets").set("Content-Type", "multipart/form-data").send("_csrf=" + csrf);
    expect(noBoundary.status).to.equal(403);
    expect(await stored()).to.deep.equal(before);
  });

  it("takes a mail's files through the same checks (attachFiles): stored on the message's event with its visibility, refused on a reset ticket and by type", async () => {
    const deps = { db: t.db, clock: t.clock, mailer: t.mailer };
    const carol = await actorFor(t, "carol");
    const maxBytes = 1024 * 1024;
    const id = await openTicket(await as("carol"));
    const eventOf = async (ticketId: number) => Number(((await t.db("ticket_events").where({ ticket_id: ticketId }).orderBy("id", "desc").first("id")) as Row).id);
    expect(await attachFiles(deps, id, await eventOf(id), [{ filename: "../../etc/scan.pdf", content: pdf.content }], carol, maxBytes)).to.deep.equal({ ok: true, value: undefined });
    expect((await attachmentRows()).map((r) => [r.filename, Boolean(r.internal), Number(r.ticket_id)])).to.deep.equal([["scan.pdf", false, id]]);

    const reset = await openRequest(t, "carol");
    const before = await stored();
    expect(await attachFiles(deps, reset, await eventOf(reset), [{ filename: png.name, content: png.content }], carol, maxBytes)).to.deep.equal({ ok: false, problems: { attachments: RESET_ATTACHMENT_PROBLEM } });
    const wrongType = await attachFiles(deps, id, await eventOf(id), [{ filename: "invoice.pdf", content: windowsExe() }], carol, maxBytes);
    expect(wrongType.ok ? "" : wrongType.problems.attachments).to.match(/^invoice\.pdf is not a type we accept/);
    expect(await stored()).to.deep.equal(before);
  });

  it("refuses a multipart post without the CSRF token, and a customer's to the desk (403), storing nothing", async () => {
    const carol = await as("carol");
    const id = await openTicket(carol);
    const alice = await as("alice");
    const before = await stored();
    for (const [agent, path] of [
      [carol, "/tickets"],
      [carol, `/tickets/${id}/replies`],
      [alice, `/desk/tickets/${id}/notes`],
    ] as const) {
      const res = await postFiles(agent, path, { type: "technical", subject: "No token", body: "No token." }, [pdf], null);
      expect(res.status, path).to.equal(403);
    }
    // A customer's files never reach the desk's note, token or not.
    expect((await postFiles(carol, `/desk/tickets/${id}/notes`, { body: "Mine." }, [pdf], `/tickets/${id}`)).status).to.equal(403);
    expect(await stored()).to.deep.equal(before);
  });
});
