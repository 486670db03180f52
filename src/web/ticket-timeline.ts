import type { Request } from "express";
import type { Db } from "../shared/db.js";
import type { Problems } from "../shared/problems.js";
import { TIMELINE_PAGE_SIZE, timelinePage, type TimelineAudience, type TimelinePage } from "../tickets/index.js";
import { timelineQuery } from "./ticket-forms.js";
import { parseForm } from "./validation.js";

/** What views/tickets/_timeline.ejs draws: the page, the ticket page's own path for its links, and the cursor it was asked for. */
export interface TimelineView extends TimelinePage {
  base: string;
  before: number | null;
  /** How many events the link to older ones brings: a page, or the rest when fewer. */
  nextCount: number;
}

/**
 * The timeline page a ticket page's query asks for (`?before=<event id>`, both the desk's and
 * the portal's). A cursor is only ever a position within this ticket's own events, so another
 * ticket's event id shows nothing of that ticket; a malformed one is no page, and its problem.
 */
export async function timelineFor(db: Db, req: Request, ticketId: number, audience: TimelineAudience, base: string): Promise<{ timeline: TimelineView; problems: Problems }> {
  const query = parseForm(timelineQuery, req.query);
  if (!query.ok) return { timeline: { first: null, events: [], hidden: 0, olderBefore: null, files: [], base, before: null, nextCount: 0 }, problems: query.problems };
  const before = query.data.before ?? null;
  const page = await timelinePage(db, ticketId, audience, before);
  return { timeline: { ...page, base, before, nextCount: Math.min(page.hidden, TIMELINE_PAGE_SIZE) }, problems: {} };
}
