/** The links the desk mails (set-password, objections), read out of the outbox and followed. */
import { expect } from "chai";
import { postForm } from "./forms.js";
import type { Agent } from "./http.js";
import { latestMailTo, mailText, outboxTo } from "./mail.js";
import type { TestApp } from "./test-app.js";

/**
 * The token of the first `/<path>/<token>` link in a raw message (decoded first: quoted-printable
 * breaks long lines); `minLength` tells a token from a longer path's next segment.
 */
export async function linkTokenIn(raw: string, path: string, minLength = 1): Promise<string> {
  const match = new RegExp(`/${path}/([A-Za-z0-9_-]{${minLength},})`).exec(await mailText(raw));
  expect(match, `a /${path}/<token> link in the mail`).to.not.equal(null);
  return match![1]!;
}

/** The set-password token in a raw message. */
export const tokenIn = (raw: string) => linkTokenIn(raw, "set-password");

/** The token of the newest set-password mail queued to the address. */
export async function latestLinkTo(t: TestApp, recipient: string): Promise<string> {
  return tokenIn((await latestMailTo(t, recipient, "set-password")).message);
}

/** Chooses a password through a set-password link in a fresh (anonymous) browser; returns the response. */
export async function setPasswordByLink(agent: Agent, token: string, password: string, confirm = password) {
  return postForm(agent, `/set-password/${token}`, { new_password: password, confirm_password: confirm }, `/set-password/${token}`);
}

/** The objection token in the newest record-change notice queued to the address. */
export async function changeObjectionTokenTo(t: TestApp, recipient: string): Promise<string> {
  return linkTokenIn((await latestMailTo(t, recipient, "record-change")).message, "objections/changes");
}

/** The objection token in the (first) reset alert mailed to an address, or in the requester's confirmation, which carries it instead. */
export async function resetObjectionTokenFor(t: TestApp, address: string): Promise<string> {
  const alert = (await outboxTo(t, address)).find((m) => m.template === "reset-alert" || m.template === "reset-received");
  expect(alert, `a reset-alert or reset-received mail to ${address}`).to.not.equal(undefined);
  return linkTokenIn(alert!.message, "objections", 40);
}
