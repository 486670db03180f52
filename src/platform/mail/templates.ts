import path from "node:path";
import ejs from "ejs";
import { viewsDir } from "../../shared/paths.js";

const mailViews = path.join(viewsDir, "mail");

/**
 * Renders `views/mail/<name>.text.ejs`, and with `html` also `<name>.html.ejs` inside the
 * mail layout. Text templates print with `<%-` (no HTML escaping); HTML ones with `<%=`.
 */
export async function renderMailTemplate(name: string, data: Record<string, unknown>, html: boolean): Promise<{ text: string; html?: string }> {
  const text = await ejs.renderFile(path.join(mailViews, `${name}.text.ejs`), data, { cache: true });
  if (!html) return { text };
  const body = await ejs.renderFile(path.join(mailViews, `${name}.html.ejs`), data, { cache: true });
  return { text, html: await ejs.renderFile(path.join(mailViews, "layout.html.ejs"), { ...data, body }, { cache: true }) };
}
