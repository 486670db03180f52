// Prints the folder-level import graph of src/: the pairs of parts that import each other,
// the loops among them, and (with --from FILE) every file and folder reachable from one file.
// Usage: tsx scripts/import-graph.ts [--depth 1|2] [--from src/web/desk/decision-routes.ts [--hops N]]
import fs from "node:fs";
import path from "node:path";

const root = path.resolve("src");
const print = (line: string) => process.stdout.write(`${line}\n`);
const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const depth = Number(option("--depth") ?? 1);
const fromOption = option("--from");
const from = fromOption ? path.resolve(fromOption) : undefined;
const hops = Number(option("--hops") ?? Infinity);
const twoLevel = new Set(["web", "platform"]);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

const resolve = (file: string, spec: string) => path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts");
const inSrc = (target: string) => target.startsWith(root + path.sep) && fs.existsSync(target);

/** A domain's face (index.ts) re-exports names: an import through it is an import of the files defining them. */
function definingFiles(face: string, names: string[]): string[] {
  const text = fs.readFileSync(face, "utf8");
  const files = new Set<string>();
  for (const m of text.matchAll(/export (?:type )?\{([^}]*)\} from "([^"]+)"/g)) {
    const exported = (m[1] ?? "").split(",").map((n) => n.trim());
    if (names.some((name) => exported.includes(name))) files.add(resolve(face, m[2] ?? ""));
  }
  return [...files];
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const targets: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s*(?:type\s*)?(?:\{([^}]*)\}\s*from\s*|[\w*\s,]*from\s*|\(\s*)?["'](\.[^"']+)["']/g)) {
    const target = resolve(file, m[2] ?? "");
    if (!inSrc(target)) continue;
    const names = (m[1] ?? "").split(",").map((n) => n.replace(/^\s*type\s+/, "").split(" as ")[0]!.trim()).filter(Boolean);
    if (path.basename(target) === "index.ts" && names.length > 0) targets.push(...definingFiles(target, names));
    else targets.push(target);
  }
  return targets;
}

/** The part a file belongs to: its first folder under src/ (two for web/ and platform/ at --depth 2). */
function partOf(file: string): string {
  const segments = path.relative(root, file).split(path.sep);
  if (segments.length === 1) return "(src root)";
  const [top = "", second = ""] = segments;
  if (depth === 2 && twoLevel.has(top) && segments.length > 2) return `${top}/${second}`;
  return top;
}

const files = sourceFiles(root);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

if (from) {
  const seen = new Set<string>();
  let frontier = [from];
  for (let hop = 0; frontier.length > 0 && hop <= hops; hop += 1) {
    frontier.forEach((file) => seen.add(file));
    frontier = frontier.flatMap((file) => graph.get(file) ?? []).filter((file) => !seen.has(file));
  }
  const folders = new Set([...seen].map((file) => path.dirname(path.relative(root, file))));
    const within = hops === Infinity ? "" : ` within ${hops} imports`;
  print(`${path.relative(process.cwd(), from)} reaches${within} ${seen.size} files in ${folders.size} folders:`);
  for (const folder of [...folders].sort()) print(`  ${folder}`);
  process.exit(0);
}

const edges = new Set<string>();
for (const [file, targets] of graph) {
  for (const target of targets) {
    const a = partOf(file);
    const b = partOf(target);
    if (a !== b) edges.add(`${a} -> ${b}`);
  }
}
const parts = [...new Set(files.map(partOf))].sort();
const pairs = new Set([...edges].map((edge) => edge.split(" -> ").sort().join(" - ")));
const loops = [...pairs].filter((pair) => {
  const [a, b] = pair.split(" - ");
  return edges.has(`${a} -> ${b}`) && edges.has(`${b} -> ${a}`);
});
const possible = (parts.length * (parts.length - 1)) / 2;
print(`${parts.length} parts: ${parts.join(", ")}`);
print(`${pairs.size} of ${possible} possible pairs import each other (${edges.size} directed edges)`);
print(`${loops.length} two-way loops: ${loops.map((pair) => pair.replace(" - ", "⇄")).join(", ") || "none"}`);
for (const edge of [...edges].sort()) print(`  ${edge}`);
