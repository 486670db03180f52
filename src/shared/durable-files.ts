import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/**
 * Creates `file` (mode 0600) whole or not at all, never over an existing file (`EEXIST`
 * then): a process that finds it, even while another writes it, reads all of it.
 */
export function writeNewFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = flushedSibling(file, text);
  try {
    linkSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Replaces `file` by renaming a flushed sibling over it: a crash leaves the old content or the new, never half of one. */
export function replaceFile(file: string, text: string): void {
  renameSync(flushedSibling(file, text), file);
}

/** A sibling of `file` holding `text`, on disk; one per process, so two never share it. */
function flushedSibling(file: string, text: string): string {
  const temporary = `${file}.${process.pid}.new`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temporary;
}
