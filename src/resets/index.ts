// The face of resets/: all that other parts of the desk use (web/desk, web/resets, and the
// composition roots src/main/app.ts and jobs.ts). What is not here (its stores above all) is
// private to the domain (DESIGN §8, held by npm run lint).
export { otherResetRequestsOfAccount } from "./account-history.js";
export type { AccountRequest, AccountRequests } from "./account-history.js";
export { customerTracker, resetEndingsOf } from "./customer-tracker.js";
export type { CustomerStep, CustomerTracker } from "./customer-tracker.js";
export { approveRequest, recordCallback, rejectRequest } from "./decision-service.js";
export type { ApprovalRefused, DecisionDeps, IssuedPassphrase } from "./decision-service.js";
export { noticeFailedTemporaryPassword } from "./delivery-failure.js";
export { noticeExpiringTemporaryPasswords } from "./expiry-notice.js";
export { refreshPendingApprovers, setApprovalNotice } from "./handoff.js";
export type { HandOffDeps } from "./handoff.js";
export { countAwaitingApprovalBy, ticketsAwaitingApprovalBy } from "./approvers-store.js";
export { clearObjection, liveObjection, raiseObjection, withdrawOnChangeObjection } from "./objection-service.js";
export { loadResetPanel } from "./panel-read-model.js";
export { resetStagesOfRows, resetTicketsInProgress } from "./queue-reads.js";
export type { RowStage } from "./queue-reads.js";
export { expireTemporaryPasswords, redeemTemporaryPassword } from "./redemption-and-expiry.js";
export { openResetRequest, resetEligibility } from "./request-service.js";
export type { Eligible, ResetDeps } from "./request-service.js";
export { countRequestsByState } from "./reset-store.js";
export type { Verification } from "./verification.js";
export { CALLBACK_OUTCOMES } from "./vocabulary.js";
export { withdrawApproval } from "./withdrawal.js";
