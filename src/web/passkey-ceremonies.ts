import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import type { Request, Response } from "express";
import { z } from "zod";
import { PASSKEY_CEREMONY_MS, type PasskeyAssertion } from "../identity/index.js";
import type { Clock } from "../shared/clock.js";
import { sessionOf } from "./request-meta.js";

/**
 * A WebAuthn ceremony of the desk. Its challenge is issued when the person presses the button
 * (the browser half asks for the options), kept in the session only, under its ceremony and
 * login, and taken once by the post of the answer: a challenge of one ceremony never serves
 * another, nor a second answer, nor after {@link PASSKEY_CEREMONY_MS}.
 */
export type Ceremony = "registration" | "second_step" | "sign_in" | "step_up";

interface IssuedChallenge {
  challenge: string;
  /** The login it was issued for; null for a sign-in with a passkey alone (nobody yet). */
  userId: number | null;
  issuedAt: number;
}

declare module "express-session" {
  interface SessionData {
    passkeyChallenges: Partial<Record<Ceremony, IssuedChallenge>>;
  }
}

/** Answers the ceremony's options as JSON for the browser half, keeping their challenge (a new one replaces the last). */
export function sendCeremonyOptions(req: Request, res: Response, clock: Clock, ceremony: Ceremony, userId: number | null, options: { challenge: string }): void {
  (req.session.passkeyChallenges ??= {})[ceremony] = { challenge: options.challenge, userId, issuedAt: clock.now().getTime() };
  res.set("Cache-Control", "no-store");
  res.json(options);
}

/** Takes the ceremony's challenge out of the session, whatever comes next: the challenge, or null when none is there for this login or it is too old. */
export function takeChallenge(req: Request, clock: Clock, ceremony: Ceremony, userId: number | null): string | null {
  const { [ceremony]: issued, ...others } = sessionOf(req)?.passkeyChallenges ?? {};
  if (!issued) return null;
  req.session.passkeyChallenges = others;
  const fresh = clock.now().getTime() - issued.issuedAt <= PASSKEY_CEREMONY_MS;
  return fresh && issued.userId === userId ? issued.challenge : null;
}

export const NO_ANSWER = "The passkey's answer did not arrive. Press the passkey button and follow your browser's prompt; passkeys need JavaScript.";
export const NO_CHALLENGE = "This passkey request is over (it was used, or took longer than 5 minutes). Nothing was changed. Press the passkey button again.";

const UNREADABLE = "The passkey's answer could not be read. Nothing was changed. Try again.";

/** What a PublicKeyCredential's JSON has at least; the rest is the server library's to check. */
const credentialShape = z.looseObject({
  id: z.string().min(1).max(1400),
  rawId: z.string().min(1).max(1400),
  type: z.literal("public-key"),
  // Transports are stored as the browser says them: a short list of short names (usb, nfc, hybrid, internal, …).
  response: z.looseObject({ clientDataJSON: z.string(), transports: z.array(z.string().max(16)).max(8).optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

/** The browser half's answer, posted as the form field `credential`: JSON of a PublicKeyCredential, its shape checked here (one message for any fault). */
const credentialJson = z
  .string({ error: NO_ANSWER })
  .min(1, NO_ANSWER)
  .max(20_000, "The passkey's answer is too long.")
  .transform((text, ctx) => {
    let parsed: ReturnType<typeof credentialShape.safeParse> | undefined;
    try {
      parsed = credentialShape.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) return parsed.data;
    ctx.addIssue({ code: "custom", message: UNREADABLE });
    return z.NEVER;
  });

// The shape is checked here; what it says (signature, challenge, origin, keys) by the identity domain.
export const registrationForm = z.object({
  credential: credentialJson.transform((c) => c as unknown as RegistrationResponseJSON),
  name: z
    .string({ error: "Give the passkey a name." })
    .trim()
    .min(1, "Give the passkey a name, so you can tell it from others (for example “Work laptop” or “Blue security key”).")
    .max(64, "Keep the name to 64 characters."),
});

export const assertionForm = z.object({ credential: credentialJson.transform((c) => c as unknown as AuthenticationResponseJSON) });

/** A parsed answer with the challenge taken for it, as the identity domain checks it. */
export const assertionOf = (req: Request, response: AuthenticationResponseJSON, challenge: string): PasskeyAssertion => ({ response, challenge, ip: req.ip ?? null });
