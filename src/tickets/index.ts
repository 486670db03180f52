// The face of tickets/: all that other parts of the desk may use. What is not here (its stores
// above all) is private to the domain (DESIGN §8, held by npm run lint). Writes are services;
// the store functions here are reads, for pages to render and for services above to lock.
export { noticeNewTicket, setNewTicketNotice } from "./new-ticket-notice.js";
export { decodeCursor, decodeDueCursor, statusCounts } from "./queue-store.js";
export { customerTickets, deskQueue } from "./queue-service.js";
export { DEFAULT_VIEW, QUEUE_VIEWS, VIEW_LABELS } from "./queue-views.js";
export type { QueueView, ViewSubqueries } from "./queue-views.js";
export { addAgentReply, addCustomerReply, addNote, assignTicket, changePriority, changeStatus, createTicket } from "./ticket-service.js";
export type { TicketDeps } from "./ticket-service.js";
export { applyBulkChange, BULK_MAX, bulkSummaryText } from "./bulk-service.js";
export type { BulkAssignee, BulkChange, BulkSummary } from "./bulk-service.js";
export { DUE_SOON_SHARE, dueStanding } from "./sla-clock.js";
export type { DueClock, SlaTarget, SlaTargets } from "./sla-clock.js";
export { changeSlaTargets, SLA_MAX_MINUTES } from "./sla-service.js";
export { loadSlaTargets } from "./sla-store.js";
export { moveTicketTo, openTicketWith, recordOnTimeline, writeAssignment } from "./ticket-steps.js";
export { findTicket, findTicketForUpdate, listTimeline, openTicketsOfAccount } from "./tickets-store.js";
export type { Ticket } from "./tickets-store.js";
export { BODY_MAX, CUSTOMER_TICKET_TYPES, STATUS_LABELS, statusLabelFor, SUBJECT_MAX, TICKET_PRIORITIES, TICKET_STATUSES, TICKET_TYPES, transitionProblem, TYPE_LABELS } from "./vocabulary.js";
export type { EventKind, TicketStatus, TicketType } from "./vocabulary.js";
export { cannedReplyFor, createCannedReply, deleteCannedReply, PLACEHOLDERS, updateCannedReply } from "./canned-replies.js";
export { findCannedReply, listCannedReplies } from "./canned-replies-store.js";
export type { CannedReply } from "./canned-replies-store.js";
export { asksForReset, routeInboundMail, visibleReply } from "./inbound-mail.js";
export { ATTACHMENT_MAX_COUNT, ATTACHMENTS_FIELD, attachFiles, attachmentHint, checkFiles, filesRefusedOn, RESET_ATTACHMENT_PROBLEM, TOO_MANY_PROBLEM, tooLargeProblem } from "./attachments.js";
export type { CheckedFile, IncomingFile } from "./attachments.js";
export { findAttachmentContent, listAttachments } from "./attachments-store.js";
export type { Attachment } from "./attachments-store.js";
