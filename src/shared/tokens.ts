import { createHash, randomBytes } from "node:crypto";

/**
 * The secrets the desk mails in links (set-password, self-service reset, record-change
 * objection, reset objection): 256 bits from the CSPRNG, URL-safe. Only their hash is stored,
 * so a copy of the database holds no usable link.
 */
export const newToken = (): string => randomBytes(32).toString("base64url");

/** The stored form of a token: SHA-256, hex. A token is 256 random bits, so no salt or slow hash is needed. */
export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");
