// The face of accounts/: all that other parts of the desk may use. What is not here (its stores
// above all) is private to the domain (DESIGN §8, held by npm run lint). Writes are services;
// the store functions here are reads, for pages to render and for services above.
export { addContact, createAccount, removeContact, renameAccount, setAccountStatus, updateContact, updateLogin } from "./accounts-service.js";
export { contactsOfAccount, findAccount, findAccountByCode, findContact, searchAccounts } from "./accounts-store.js";
export type { Account, Contact } from "./accounts-store.js";
export { removeLoginKey, setLoginKey } from "./login-key-service.js";
export { removeSecondaryFactors, removeStaffFactors } from "./factor-removal-service.js";
export { createLogin, resetLoginPassword, setCanOpenCases, setLoginDisabled, setPasswordLinkRefusal, unlockLogin } from "./login-service.js";
export { clearChangeObjection, distinctRecipients, liveChangeObjection, objectToChange } from "./record-change-service.js";
export type { OnChangeObjected } from "./record-change-service.js";
export { accountRecordChanges, changesOfAccount, changesOfLogin, clearancesOfAccountSince, clearancesOfChange, findRecordChange, hasOpenChangeObjection, recordChangesOfAccountsSince } from "./record-changes-store.js";
export type { RecordChange } from "./record-changes-store.js";
export { checkAnswers, completeReset, linkProof, proveLinkWithFactor, resetQuestions, sendResetLink } from "./self-service-reset.js";
export type { LinkProof, SelfServiceDeps } from "./self-service-reset.js";
export { CONTACT_KINDS, describeChange, RECENT_CHANGE_MS } from "./vocabulary.js";
export { internationalPhone, parsePhone } from "./phone-numbers.js";
