/** Posting forms the way a browser does: every form carries the session's `_csrf` token. */
import type { Agent } from "./http.js";

/** The `_csrf` value of the first form on a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no _csrf field on the page");
  return match[1]!;
}

/** Fetches a page and returns the CSRF token of its form. */
export async function csrfToken(agent: Agent, path = "/login"): Promise<string> {
  const page = await agent.get(path).expect(200);
  return csrfFrom(page.text);
}

/** Posts a form the way a browser does: with the session's CSRF token, read from `csrfPage`. */
export async function postForm(agent: Agent, path: string, form: Record<string, string> = {}, csrfPage = "/") {
  const _csrf = await csrfToken(agent, csrfPage);
  return agent.post(path).type("form").send({ _csrf, ...form });
}
