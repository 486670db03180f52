// The face of tickets/: all that other parts of the desk may use. What is not here (its stores
// above all) is private to the domain (DESIGN §8, held by npm run lint).
export { noticeNewTicket, setNewTicketNotice, wantsNewTicketNotice } from "./new-ticket-notice.js";
export { decodeCursor, statusCounts } from "./queue-store.js";
export { customerTickets, deskQueue } from "./queue.js";
export { addAgentReply, addCustomerReply, addNote, assignTicket, changePriority, changeStatus, createTicket } from "./ticket-service.js";
export type { Outcome, TicketDeps } from "./ticket-service.js";
export { STATUS_LABELS, TICKET_STATUSES, transitionProblem } from "./ticket-status.js";
export type { TicketStatus } from "./ticket-status.js";
export { moveTicketTo, openTicketWith, recordOnTimeline } from "./ticket-steps.js";
export { findPerson, findTicket, findTicketForUpdate, insertEvent, insertTicket, listTimeline, TICKET_PRIORITIES, TICKET_TYPES, updateTicketStatus } from "./tickets-store.js";
export type { EventKind, Ticket } from "./tickets-store.js";
export { BODY_MAX, CUSTOMER_TICKET_TYPES, SUBJECT_MAX, TYPE_LABELS } from "./vocabulary.js";
