// The face of identity/: all that other parts of the desk may use. What is not here (its stores
// above all) is private to the domain (DESIGN §8, held by npm run lint).
export { clearPassword, storePassword } from "./credentials-store.js";
export { currentKey, currentKeysOf, removeKey, replaceKey } from "./keys-store.js";
export type { StoredKey } from "./keys-store.js";
export { applyPasswordByLink, findLiveLink } from "./link-passwords.js";
export type { LiveLink } from "./link-passwords.js";
export { countFailedAnswer, countTokensSince, hashToken, newToken, spendAllTokensOf, storeToken } from "./link-tokens-store.js";
export type { TokenPurpose } from "./link-tokens-store.js";
export { changeOwnPassword, newPasswordProblems } from "./password-change.js";
export type { PasswordChangeDeps } from "./password-change.js";
export { hashPassword } from "./password-hashing.js";
export { prepareSetPasswordLink, recordSetPasswordLink } from "./password-links.js";
export type { LinkDeps } from "./password-links.js";
export { passwordRequirements } from "./password-policy.js";
export { lengthProblem } from "./password-rules.js";
export type { PolicyName } from "./password-rules.js";
export { checkPublicKey, MAX_KEY_BYTES } from "./pgp-key-check.js";
export { generateRandomPassword } from "./random-password.js";
export { resetLinkMail } from "./reset-link-mail.js";
export { answerMatches, hashAnswers, normaliseAnswer, questionsOf, SECURITY_QUESTIONS, storeQuestions } from "./security-questions.js";
export type { StoredQuestion } from "./security-questions.js";
export { signIn } from "./sign-in.js";
export type { SignInDeps, SignInFailure } from "./sign-in.js";
export { confirmationRefusal, confirmStaffLogin, isConfirmedStaff, noticeStaffCreated, UNCONFIRMED_STAFF, unconfirmStaff } from "./staff-confirmation.js";
export { endTemporaryPassword, giveTemporaryPassword } from "./temporary-passwords.js";
export { isPrimaryUsername, namespaceOf, scopedUsername } from "./usernames.js";
export { clearFailedSignIns, findLoginById, findLoginByUsername, findSessionLogin, insertLogin, listActiveStaff, listLoginsOfAccount, listStaff } from "./users-store.js";
export type { Login, SessionLogin } from "./users-store.js";
