// The face of resets/: all that other parts of the desk may use. What is not here (its stores
// above all) is private to the domain (DESIGN §8, held by npm run lint).
export { approveRequest, clearObjection, recordCallback, rejectRequest, withdrawApproval } from "./decision-service.js";
export type { Agent, DecisionDeps } from "./decision-service.js";
export { noticeFailedTemporaryPassword } from "./delivery-failure.js";
export { loadResetPanel, ticketsWithFailedDelivery } from "./desk-panel.js";
export { liveObjection, raiseObjection, withdrawOnChangeObjection } from "./objection-service.js";
export { expireTemporaryPasswords, redeemTemporaryPassword } from "./redemption.js";
export { openResetRequest, resetEligibility } from "./request-service.js";
export type { Eligible, ResetDeps } from "./request-service.js";
export { CALLBACK_OUTCOMES } from "./reset-store.js";
