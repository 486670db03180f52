import { expect } from "chai";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { projectRoot } from "../../src/shared/paths.js";

/**
 * Runs `tsx src/main/cli.ts …args` as an operator would, with NODE_ENV=test and `env` over this
 * process's environment (a variable given as undefined is removed), and `input` on standard input.
 */
export function runCli(args: string[], env: Record<string, string | undefined>, input = ""): SpawnSyncReturns<string> {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/main/cli.ts", ...args], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: "test", ...env },
    input,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(result.error, String(result.error)).to.equal(undefined);
  expect(result.signal, `cli ${args.join(" ")} was killed: ${result.stderr}`).to.equal(null);
  return result;
}
