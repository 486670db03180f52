import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { freePort } from "./postgres-cluster.js";
import { waitFor } from "./wait.js";

export const DOVECOT = "/usr/sbin/dovecot";

/** A private Dovecot IMAP server (Debian's dovecot-imapd) on a loopback port, one login, plaintext (no TLS). */
export interface Dovecot {
  port: number;
  user: string;
  password: string;
  /** imap://user:password@127.0.0.1:port/mailbox, the password percent-encoded. */
  url(options?: { password?: string; mailbox?: string }): string;
  /** What Dovecot logged so far (to explain a failure). */
  log(): string;
  stop(): Promise<void>;
}

// Characters a URL must encode, so the fetcher's percent-decoding is exercised (no ":", the users file's separator).
const USER = "desk@in.vouchdesk.test";
const PASSWORD = "imap pass/with@odd%chars";
/** Mailboxes named so keep no keywords (the owner lacks the ACL "w" right), like servers that keep only the system flags. */
export const KEYWORDLESS = "Keywordless";
/** Mailboxes named so take new mail but no flags at all (ACL "lri"): a read-only mailbox to the fetcher. */
export const READ_ONLY = "ReadOnly";

/**
 * Starts Dovecot from a temporary directory: its own config, sockets, state, log and Maildir home,
 * run as the current user. As root (here and in CI) neither the login processes nor the mail
 * processes may run as root: both run as Debian's `dovenull`, which gets the Maildir home. The ACL
 * plugin takes the flag-writing rights from mailboxes named `KEYWORDLESS…` and `READ_ONLY…`.
 */
export async function startDovecot(): Promise<Dovecot> {
  if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is missing: install Debian's dovecot-imapd package (apt-get install dovecot-imapd)`);
  const dir = mkdtempSync(path.join(tmpdir(), "vouchdesk-dovecot-"));
  chmodSync(dir, 0o755);
  for (const sub of ["base", "state", "home"]) mkdirSync(path.join(dir, sub));
  const me = userInfo();
  const root = me.uid === 0;
  const mailUid = root ? idOf("-u", "dovenull") : me.uid;
  const mailGid = root ? idOf("-g", "dovenull") : me.gid;
  chownSync(path.join(dir, "home"), mailUid, mailGid);
  const port = await freePort();
  const logFile = path.join(dir, "dovecot.log");
  writeFileSync(path.join(dir, "users"), `${USER}:{PLAIN}${PASSWORD}\n`);
  writeFileSync(path.join(dir, "global-acl"), `${KEYWORDLESS}* owner lrsitekxa\n${READ_ONLY}* owner lri\n`);
  writeFileSync(
    path.join(dir, "dovecot.conf"),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/base
state_dir = ${dir}/state
log_path = ${logFile}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${me.username}
default_internal_group = ${root ? "root" : me.username}
default_login_user = ${root ? "dovenull" : me.username}
mail_location = maildir:~/Maildir
mail_plugins = acl
plugin {
  acl = vfile:${dir}/global-acl
}
first_valid_uid = ${mailUid}
first_valid_gid = ${mailGid}
passdb {
  driver = passwd-file
  args = ${dir}/users
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const child: ChildProcess = spawn(DOVECOT, ["-F", "-c", path.join(dir, "dovecot.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "") + stderr;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("Dovecot to answer on its port", async () => {
      if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}: ${log()}`);
      return answers(port);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    user: USER,
    password: PASSWORD,
    url: (options = {}) => `imap://${encodeURIComponent(USER)}:${encodeURIComponent(options.password ?? PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(options.mailbox ?? "INBOX")}`,
    log,
    stop,
  };
}

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(execFileSync("id", [flag, user]).toString().trim());
}

/** True when an IMAP greeting comes from the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("* OK"));
    });
    socket.once("error", () => resolve(false));
  });
}
