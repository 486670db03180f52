import path from "node:path";
import ejs from "ejs";
import type { Express } from "express";
import { viewsDir } from "../shared/paths.js";
import { viewHelpers } from "./view-helpers.js";

type Locals = Record<string, unknown> & { layout?: string | false };

/**
 * EJS with a layout: a view renders into `body`, then `layout/main` (or the view's
 * chosen `layout`) wraps it. Views stay free of header/footer boilerplate.
 */
export function useViews(app: Express, cache: boolean): void {
  app.set("views", viewsDir);
  app.set("view engine", "ejs");
  if (cache) app.enable("view cache");
  Object.assign(app.locals, viewHelpers);
  app.engine("ejs", (file, options, callback) => {
    const locals = options as Locals;
    // Includes name their file from views/ ("/partials/field"): resolved without a stat call per include.
    const ejsOptions = { cache, filename: file, root: viewsDir };
    ejs
      .renderFile(file, locals, ejsOptions)
      .then((body) => {
        if (locals.layout === false) return body;
        const layout = path.join(viewsDir, "layout", `${locals.layout ?? "main"}.ejs`);
        return ejs.renderFile(layout, { ...locals, body }, { ...ejsOptions, filename: layout });
      })
      .then((html) => callback(null, html), (err: unknown) => callback(err));
  });
}
