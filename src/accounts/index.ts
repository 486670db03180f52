// The face of accounts/: all that other parts of the desk may use. What is not here (its stores
// above all) is private to the domain (DESIGN §8, held by npm run lint).
export { addContact, createAccount, normalisePhone, removeContact, renameAccount, setAccountStatus, updateContact, updateLogin } from "./accounts-service.js";
export { contactsOfAccount, findAccount, findAccountByCode, findContact, searchAccounts } from "./accounts-store.js";
export type { Account, Contact } from "./accounts-store.js";
export { removeLoginKey, setLoginKey } from "./login-keys.js";
export { createLogin, resetLoginPassword, setCanOpenCases, setLoginDisabled, setPasswordLinkRefusal, unlockLogin } from "./logins.js";
export { accountRecordChanges, changesOfAccount, changesOfLogin, clearancesOfAccountSince, clearancesOfChange, findRecordChange, hasOpenChangeObjection } from "./record-changes-store.js";
export type { RecordChange } from "./record-changes-store.js";
export { clearChangeObjection, describeChange, distinctRecipients, liveChangeObjection, objectToChange, RECENT_CHANGE_MS } from "./record-changes.js";
export type { OnChangeObjected } from "./record-changes.js";
export { checkAnswers, completeReset, resetQuestions, sendResetLink } from "./self-service-reset.js";
export type { SelfServiceDeps } from "./self-service-reset.js";
