import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import request from "supertest";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

/** Mounting needs root: as root directly, otherwise through sudo without a prompt (as .ci/run installs packages). */
const asRoot = (command: string, args: string[]) =>
  process.getuid?.() === 0 ? execFileSync(command, args) : execFileSync("sudo", ["-n", command, ...args]);

/** A small tmpfs of its own, so the disk under the SQLite database really fills up. */
function mountSmallDisk(megabytes: number, options = ""): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-disk-"));
  asRoot("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m${options},mode=1777`, "tmpfs", dir]);
  return {
    dir,
    remove() {
      asRoot("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes zeros into a file until the file system says it is full. */
function fillDisk(file: string): void {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    expect((err as { code?: string }).code).to.equal("ENOSPC");
  } finally {
    closeSync(fd);
  }
}

describe("SQLite on a full disk, under the real server process", function () {
  let disk: { dir: string; remove(): void };
  let server: ServerProcess;

  before(async () => {
    disk = mountSmallDisk(16);
    server = await startServerProcess({ VAR_DIR: path.join(disk.dir, "var") });
  });
  after(async () => {
    await server?.stop();
    disk?.remove();
  });

  it("answers 503 'briefly unavailable' while the disk is full, stays alive, and serves again once there is room", async () => {
    await request(server.url).get("/login").expect(200);
    const filler = path.join(disk.dir, "filler");
    fillDisk(filler);

    // Each new visitor's sign-in page writes a session: the WAL can only grow so far on a full disk.
    const statuses: number[] = [];
    for (let i = 0; i < 300 && !statuses.includes(503); i++) {
      const res = await request(server.url).get("/login");
      statuses.push(res.status);
      if (res.status === 503) {
        expect(res.text).to.include("briefly unavailable");
        expect(res.text).not.to.match(/SQLITE|full|_csrf/);
        expect(res.headers["set-cookie"]).to.equal(undefined);
      } else {
        expect(res.status).to.equal(200);
      }
    }
    expect(statuses, "no request was refused on a full disk").to.include(503);
    expect(server.alive(), server.output().slice(-2000)).to.equal(true);
    expect(server.output()).to.include("SQLITE_FULL");

    rmSync(filler);
    const again = await request(server.url).get("/login");
    expect(again.status).to.equal(200);
    expect(again.text).to.include("_csrf");
    expect(server.alive()).to.equal(true);
  });
});

describe("start-up on a read-only VAR_DIR", () => {
  it("exits with one line naming VAR_DIR and the path, no stack", () => {
    const disk = mountSmallDisk(1, ",ro");
    try {
      const varDir = disk.dir;
      let stderr = "";
      try {
        execFileSync(process.execPath, ["--import", "tsx", "src/main/server.ts"], {
          env: { ...process.env, NODE_ENV: "test", VAR_DIR: varDir, DATABASE_URL: "" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        expect.fail("the server started on a read-only VAR_DIR");
      } catch (err) {
        const e = err as { status?: number; stderr?: Buffer };
        expect(e.status).to.equal(2);
        stderr = e.stderr!.toString("utf8").trim();
      }
      expect(stderr.split("\n"), stderr).to.have.length(1);
      expect(stderr).to.include("VAR_DIR").and.include(varDir).and.include("read-only");
      expect(stderr).not.to.match(/^\s*at /m);
    } finally {
      disk.remove();
    }
  });
});
