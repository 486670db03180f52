import { expect } from "chai";
import { latestMailTo, mailText } from "../support/mail.js";
import { postForm } from "../support/forms.js";
import { msOf } from "../support/rows.js";
import { browsers, signedIn } from "../support/sign-in.js";
import { DEMO_PASSWORD } from "../support/test-app.js";
import { userRow } from "../support/users.js";
import { useTestApp } from "../support/use-test-app.js";
import { seedTicket, ticketRow } from "../tickets/helpers.js";

// Issue 16 item 8: times on the viewer's clock (their own zone, else the desk's TIME_ZONE),
// mails on the desk's, relative times in <time> with the absolute one as the title.
// Zones without daylight saving keep the expected text free of the calendar: Tokyo is UTC+9
// all year, Karachi UTC+5 (names as this Node's ICU spells them: it lists Asia/Calcutta, not Kolkata).
const HOUR = 3_600_000;
const onClock = (ms: number, offsetMs: number, label: string) => `${new Date(ms + offsetMs).toISOString().slice(0, 16).replace("T", " ")} ${label}`;
const tokyo = (ms: number) => onClock(ms, 9 * HOUR, "UTC+9");
const karachi = (ms: number) => onClock(ms, 5 * HOUR, "UTC+5");
const timeZoneOf = async (t: Parameters<typeof userRow>[0], username: string) => (await userRow(t, username)).time_zone ?? null;

describe("time zones: the desk's TIME_ZONE and each person's own", () => {
  const t = useTestApp({ env: { TIME_ZONE: "Asia/Tokyo" } });
  // Signed-in browsers of this test's app (a fresh one per test).
  let as: ReturnType<typeof browsers>;
  beforeEach(() => {
    as = browsers(t);
  });

  it("pages show times on the desk's clock, with the zone named, to agents and customers alike", async () => {
    const id = await seedTicket(t, "carol", "Printer queue stuck");
    const opened = msOf((await ticketRow(t, id)).created_at)!;
    const desk = await (await as("alice")).get(`/desk/tickets/${id}`).expect(200);
    expect(desk.text).to.include(tokyo(opened));
    const portal = await (await as("carol")).get(`/tickets/${id}`).expect(200);
    expect(portal.text).to.include(tokyo(opened)).and.not.include(onClock(opened, 0, "UTC"));
  });

  it("a person's own zone from My profile overrides the desk's on their pages only; mail stays on the desk's", async () => {
    const id = await seedTicket(t, "carol", "Printer queue stuck");
    const opened = msOf((await ticketRow(t, id)).created_at)!;
    const carol = await as("carol");
    const page = await carol.get("/account/time-zone").expect(200);
    expect(page.text).to.include('<option value="" selected>The desk&#39;s (Asia/Tokyo)</option>').and.include('<option value="Asia/Karachi" >Asia/Karachi</option>');

    const saved = await postForm(carol, "/account/time-zone", { time_zone: "asia/karachi" }, "/account/time-zone");
    expect(saved.status).to.equal(303);
    expect(await timeZoneOf(t, "carol"), "kept in its canonical spelling").to.equal("Asia/Karachi");
    const after = await carol.get("/account/time-zone").expect(200);
    expect(after.text).to.include("Saved. Pages show you times in Asia/Karachi").and.include('<option value="Asia/Karachi" selected>');
    expect((await carol.get(`/tickets/${id}`).expect(200)).text).to.include(karachi(opened)).and.not.include(tokyo(opened));
    expect((await (await as("alice")).get(`/desk/tickets/${id}`).expect(200)).text, "another viewer keeps the desk's").to.include(tokyo(opened));

    // Choosing "the desk's" again clears the choice.
    expect((await postForm(carol, "/account/time-zone", { time_zone: "" }, "/account/time-zone")).status).to.equal(303);
    expect(await timeZoneOf(t, "carol")).to.equal(null);
    expect((await carol.get(`/tickets/${id}`).expect(200)).text).to.include(tokyo(opened));

    expect((await postForm(carol, "/account/time-zone", { time_zone: "Asia/Karachi" }, "/account/time-zone")).status).to.equal(303);
    // A mail carol causes while her own zone is set is still written on the desk's clock, for every reader alike.
    const changed = await postForm(carol, "/account/password", { current_password: DEMO_PASSWORD, new_password: "Tokyo-Time-Zone-9!", confirm_password: "Tokyo-Time-Zone-9!" }, "/account/password");
    expect(changed.status, changed.text.slice(0, 500)).to.equal(303);
    const mail = await mailText((await latestMailTo(t, "carol@acme.example", "password-changed")).message);
    expect(mail).to.include(`was changed at ${tokyo(t.clock.now().getTime())}`);
  });

  it("the queue and the timeline show relative times in <time datetime> with the absolute time as the title", async () => {
    const id = await seedTicket(t, "carol", "Printer queue stuck");
    const updated = msOf((await ticketRow(t, id)).updated_at)!;
    const iso = new Date(updated).toISOString();
    t.clock.advance(12 * 60_000);
    const alice = await as("alice");

    const queue = await alice.get("/desk").expect(200);
    expect(queue.text).to.include('<th scope="col">Updated</th>').and.not.include('<th scope="col">Age</th>');
    const row = queue.text.split("<tr>").find((r) => r.includes(`/desk/tickets/${id}"`))!;
    expect(row).to.include(`<time datetime="${iso}" title="Last activity ${tokyo(updated)}">12 min ago</time>`);

    // Activity moves the column: an internal note makes it the newest again.
    const note = await postForm(alice, `/desk/tickets/${id}/notes`, { body: "Called the printer vendor." }, `/desk/tickets/${id}`);
    expect(note.status, note.text.slice(0, 500)).to.equal(303);
    t.clock.advance(3 * HOUR);
    // Three idle hours end alice's session: she signs in again.
    const back = await signedIn(t, "alice");
    const later = await back.get("/desk").expect(200);
    const moved = later.text.split("<tr>").find((r) => r.includes(`/desk/tickets/${id}"`))!;
    expect(moved).to.match(/<time datetime="[^"]+" title="Last activity [^"]+ UTC\+9">3 h ago<\/time>/);

    const ticket = await back.get(`/desk/tickets/${id}`).expect(200);
    const first = /<li class="event event-reply" id="event-\d+">[\s\S]*?<\/li>/.exec(ticket.text)?.[0] ?? ticket.text;
    expect(first).to.include(`<time datetime="${iso}" title="${tokyo(updated)}">3 h ago</time>`);
  });

  it("a zone that is not one is a named 400 beside the field, with nothing changed; no CSRF token, no change either", async () => {
    const carol = await as("carol");
    const res = await postForm(carol, "/account/time-zone", { time_zone: "Mars/Olympus_Mons" }, "/account/time-zone");
    expect(res.status).to.equal(400);
    expect(res.text).to.include('<p class="problem" id="field-time_zone-problem">“Mars/Olympus_Mons” is not a time zone: choose one from the list.</p>');
    expect(res.text).to.include('<option value="" selected>');
    expect(await timeZoneOf(t, "carol")).to.equal(null);

    const forged = await carol.post("/account/time-zone").type("form").send({ time_zone: "Asia/Karachi" });
    expect(forged.status).to.equal(403);
    expect(await timeZoneOf(t, "carol")).to.equal(null);
  });
});
