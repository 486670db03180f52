import type { Login } from "../identity/index.js";

export type FlashKind = "success" | "info" | "error";
export interface FlashMessage {
  kind: FlashKind;
  text: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // The signed-in login; password hash and counters stay out of it.
    interface User extends Pick<Login, "id" | "accountId" | "username" | "role" | "displayName" | "email" | "mustChangePassword" | "canOpenCases" | "timeZone"> {
      /** Whether it has an active second factor (read on each request with the login). */
      hasActiveFactor: boolean;
    }
  }
}

declare module "express-session" {
  interface SessionData {
    startedAt: number;
    lastSeenAt: number;
    flash: FlashMessage[];
    /** Set, signed out, after a forced password change by a login without a second factor: the next sign-in here offers enrolment. */
    enrolmentOffer: boolean;
    /** The answer of the last Verify / Send test message, shown once after the redirect. */
    mailSettingsResult: { verify?: { ok: boolean; text: string }; test?: { ok: boolean; outboxId: number; status: string; text: string } };
  }
}
