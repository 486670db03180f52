// The face of identity/: all that other parts of the desk may use — services (which hold the
// rules) and read queries. Its stores are private (DESIGN §8, held by npm run lint); the words
// are in CONTEXT.md.

// Logins: who signs in, as what.
export { liftLockout, registerLogin } from "./logins.js";
export { findLoginById, findLoginByUsername, findSessionLogin, listActiveStaff, listLoginsOfAccount, listStaff, setLoginTimeZone } from "./users-store.js";
export type { Login, SessionLogin } from "./users-store.js";
export { isPrimaryUsername, namespaceOf, scopedUsername } from "./usernames.js";
export { signIn } from "./sign-in.js";
export type { SignInFailure } from "./sign-in.js";
export type { SignInDeps } from "./sign-in-attempts.js";
export { recordSignOut } from "./sign-out.js";
export { confirmationRefusal, confirmStaffLogin, isConfirmedStaff, noticeStaffCreated, UNCONFIRMED_STAFF, unconfirmStaff } from "./staff-confirmation.js";

// Passwords: the holder's own, a primary reset's temporary one, one set through a link.
export { changeOwnPassword, newPasswordProblems } from "./password-change.js";
export type { PasswordChangeDeps } from "./password-change.js";
export { hashPassword } from "./password-hashing.js";
export { passwordRequirements } from "./password-policy.js";
export { lengthProblem } from "./password-length.js";
export type { PolicyName } from "./password-length.js";
export { generateRandomPassword } from "./random-password.js";
export { endTemporaryPassword, giveTemporaryPassword } from "./temporary-passwords.js";

// Links and their tokens: support's set-password links, the self-service reset link.
export { prepareSetPasswordLink, recordSetPasswordLink } from "./set-password-links.js";
export type { LinkDeps } from "./set-password-links.js";
export { selfServiceLinkMail } from "./self-service-link-mail.js";
export { applyPasswordByLink, findLiveLink } from "./password-by-link.js";
export type { LiveLink } from "./password-by-link.js";
export { countWrongAnswers, issueLinkToken, spendLinksOf } from "./link-tokens.js";
export { countTokensSince } from "./link-tokens-store.js";
export type { TokenPurpose } from "./link-tokens-store.js";

// Security questions and OpenPGP keys.
export { answerMatches, normaliseAnswer, SECURITY_QUESTIONS, setSecurityQuestions } from "./security-questions.js";
export { questionsOf } from "./security-questions-store.js";
export type { StoredQuestion } from "./security-questions-store.js";
export { putKeyInUse, takeKeyOutOfUse } from "./keys.js";
export { currentKey, currentKeysOf } from "./keys-store.js";
export type { StoredKey } from "./keys-store.js";
export { checkPublicKey, MAX_KEY_BYTES } from "./pgp-key-check.js";

// Logins as the accounts and tickets domains read and change them (account-logins-store.ts,
// new-ticket-notice-store.ts: the users table stays identity's).
export { countLogins, findLoginSummary, isLoginOfAccount, lockLoginRow, loginsWithEmail, primaryLoginOf, storeCanOpenCases, storeLoginDisabled, updateLoginDetails, usernameEndingTaken } from "./account-logins-store.js";
export type { LoginSummary } from "./account-logins-store.js";
export { staffWantingNewTicketMail, staffWantingNotice, storeNewTicketMail, storeNotice, wantsNotice } from "./new-ticket-notice-store.js";
export type { StaffNotice } from "./new-ticket-notice-store.js";

// Second factors: the authenticator app, recovery codes, the second step of sign-in.
export { codeProof, confirmTotp, factorStatus, hasActiveFactor, pendingEnrolment, proveWithFactor, regenerateRecoveryCodes, removeTotp, startTotpEnrolment } from "./second-factors/second-factors.js";
export { removeAllFactors, removedAny } from "./second-factors/factor-removal.js";
export type { FactorRemoval, RemovedFactors } from "./second-factors/factor-removal.js";
export type { FactorDeps, FactorMethod, FactorProof, FactorStatus, PendingEnrolment } from "./second-factors/second-factors.js";
// Passkeys (WebAuthn): registered under Two-step sign-in, a second factor, or a sign-in alone.
export { addPasskey, assertionOptions, PASSKEY_CEREMONY_MS, passkeyProof, registrationOptions, relyingPartyOf, removePasskey } from "./second-factors/passkeys.js";
export type { PasskeyAssertion, PasskeyDeps, RelyingParty } from "./second-factors/passkeys.js";
export { hasPasskey } from "./second-factors/passkeys-store.js";
export type { PasskeySummary } from "./second-factors/passkeys-store.js";
export { signInWithPasskey } from "./second-factors/passkey-sign-in.js";
export { confirmStepUp } from "./second-factors/step-up.js";
export { dataKeyOpensSecrets } from "./second-factors/data-key-check.js";
export { completeSecondStep, pendingExpired, SECOND_STEP_LIFETIME_MS } from "./second-factors/second-step.js";
export type { PendingSignIn, SecondStepFailure } from "./second-factors/second-step.js";
