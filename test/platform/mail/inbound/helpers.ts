import { generateKeyPairSync } from "node:crypto";
import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import type { Db } from "../../../../src/shared/db.js";
import { migrate, openDatabase } from "../../../../src/shared/db.js";
import { createLogger } from "../../../../src/shared/logger.js";
import type { PipelineDeps } from "../../../../src/platform/mail/inbound/pipeline.js";
import type { InboundMail, InboundRouter, InboundRouting } from "../../../../src/platform/mail/inbound/types.js";
import type { Cleanup } from "../../../support/cleanup.js";
import { freshDatabase } from "../../../support/database.js";
import { TestClock } from "../../../support/test-app.js";

/** A sender domain with a DKIM key and a DMARC policy, published by a fixed resolver (no network). */
export const SENDER_DOMAIN = "customer.test";
const SELECTOR = "s1";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
export const dkimPrivateKey = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicKeyBase64 = keys.publicKey.export({ type: "spki", format: "der" }).toString("base64");

const TXT: Record<string, string> = {
  [`${SELECTOR}._domainkey.${SENDER_DOMAIN}`]: `v=DKIM1; k=rsa; p=${publicKeyBase64}`,
  [`_dmarc.${SENDER_DOMAIN}`]: "v=DMARC1; p=reject",
  [SENDER_DOMAIN]: "v=spf1 -all",
};

/** DNS as mailauth asks for it: TXT answers from the table above, nothing else exists. */
export async function fixedResolver(name: string, rrtype: string): Promise<unknown> {
  const answer = rrtype === "TXT" ? TXT[name.toLowerCase()] : undefined;
  if (answer === undefined) throw Object.assign(new Error(`${name} ${rrtype} not found`), { code: "ENOTFOUND" });
  return Promise.resolve([[answer]]);
}

export const dkim = { domainName: SENDER_DOMAIN, keySelector: SELECTOR, privateKey: dkimPrivateKey };

/** A router that records what it was given and answers as told. */
export function recordingRouter(answer: (mail: InboundMail) => InboundRouting): { router: InboundRouter; got: InboundMail[] } {
  const got: InboundMail[] = [];
  return {
    got,
    router: (mail) => {
      got.push(mail);
      return Promise.resolve(answer(mail));
    },
  };
}

export interface InboundTestBed {
  db: Db;
  url: string;
  clock: TestClock;
  deps(router: InboundRouter): PipelineDeps;
}

/** A migrated fresh database and the pipeline's deps around it. */
export async function inboundTestBed(cleanup: Cleanup): Promise<InboundTestBed> {
  const database = await freshDatabase();
  const db = openDatabase(database.url);
  await migrate(db);
  cleanup.add(async () => {
    await db.destroy();
    await database.drop();
  });
  const clock = new TestClock();
  return {
    db,
    url: database.url,
    clock,
    deps: (router) => ({
      db,
      clock,
      logger: createLogger("silent"),
      router,
      sender: { from: "Vouchdesk <desk@vouchdesk.test>", hostname: "vouchdesk.test" },
      baseUrl: "https://desk.vouchdesk.test",
      inboundDomain: "in.vouchdesk.test",
      mta: "mx.vouchdesk.test",
      resolver: fixedResolver,
      worker: "test-worker",
    }),
  };
}

/** Sends one message with a real nodemailer SMTP client to the receiver on `port`. */
export async function sendTo(port: number, message: Mail.Options): Promise<void> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ from: `Ann <ann@${SENDER_DOMAIN}>`, to: "help@in.vouchdesk.test", subject: "Hello", text: "Hi there", ...message });
  } finally {
    transport.close();
  }
}
