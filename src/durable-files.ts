import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/** Creates `file` with mode 0600 and flushes it to disk; never over an existing file (`EEXIST` then). */
export function writeNewFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `file` by renaming a flushed sibling over it: a crash leaves the old content or the new, never half of one. */
export function replaceFile(file: string, text: string): void {
  // One sibling per process: two processes replacing the same file never share it.
  const temporary = `${file}.${process.pid}.new`;
  rmSync(temporary, { force: true });
  writeNewFile(temporary, text);
  renameSync(temporary, file);
}
