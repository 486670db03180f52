import type { Knex } from "knex";
import * as foundation from "./20261123_01_foundation.js";
import * as mail from "./20261123_02_mail.js";
import * as accounts from "./20261123_03_accounts.js";
import * as tickets from "./20261124_04_tickets.js";
import * as resets from "./20261124_05_resets.js";
import * as resetWithdrawal from "./20261124_06_reset_withdrawal.js";
import * as newTicketNotice from "./20261124_07_new_ticket_notice.js";
import * as auditSubjectIndex from "./20261124_08_audit_subject_index.js";
import * as recordChanges from "./20261201_09_record_changes.js";
import * as rateLimitRefusals from "./20261201_10_rate_limit_refusals.js";
import * as deskKeys from "./20261201_12_desk_keys.js";
import * as leases from "./20261201_13_leases.js";
import * as resetOutboxIndex from "./20261201_14_reset_outbox_index.js";
import * as staffConfirmation from "./20261201_15_staff_confirmation.js";
import * as recordChangeClearances from "./20261201_16_record_change_clearances.js";
import * as secondFactors from "./20261202_05_second_factors.js";
import * as passkeys from "./20261203_01_passkeys.js";
import * as resetFactorLost from "./20261203_02_reset_factor_lost.js";
import * as outboxSentDigest from "./20261203_03_outbox_sent_digest.js";
import * as ticketSearch from "./20261203_05_ticket_search.js";
import * as deliveryPassphrase from "./20261203_06_delivery_passphrase.js";
import * as queueViewIndexes from "./20261204_01_queue_view_indexes.js";
import * as resetHandoff from "./20261204_02_reset_handoff.js";
import * as sla from "./20261204_03_sla.js";
import * as phoneE164 from "./20261204_05_phone_e164.js";
import * as cannedReplies from "./20261204_06_canned_replies.js";
import * as userTimeZone from "./20261205_01_user_time_zone.js";
import * as inboundMessages from "./20261205_02_inbound_messages.js";
import * as replyTokens from "./20261205_03_reply_tokens.js";
import * as attachments from "./20261205_04_attachments.js";
import * as taskLastSuccess from "./20261206_02_task_last_success.js";
import * as mailSettings from "./20261206_04_mail_settings.js";

/**
 * The migrations in order. Listed here rather than read from the folder so that the
 * same list works from TypeScript sources (tests, CLI) and compiled JavaScript (npm start).
 */
const migrations: Record<string, Knex.Migration> = {
  "20261123_01_foundation": foundation,
  "20261123_02_mail": mail,
  "20261123_03_accounts": accounts,
  "20261124_04_tickets": tickets,
  "20261124_05_resets": resets,
  "20261124_06_reset_withdrawal": resetWithdrawal,
  "20261124_07_new_ticket_notice": newTicketNotice,
  "20261124_08_audit_subject_index": auditSubjectIndex,
  "20261201_09_record_changes": recordChanges,
  "20261201_10_rate_limit_refusals": rateLimitRefusals,
  "20261201_12_desk_keys": deskKeys,
  "20261201_13_leases": leases,
  "20261201_14_reset_outbox_index": resetOutboxIndex,
  "20261201_15_staff_confirmation": staffConfirmation,
  "20261201_16_record_change_clearances": recordChangeClearances,
  "20261202_05_second_factors": secondFactors,
  "20261203_01_passkeys": passkeys,
  "20261203_02_reset_factor_lost": resetFactorLost,
  "20261203_03_outbox_sent_digest": outboxSentDigest,
  "20261203_05_ticket_search": ticketSearch,
  "20261203_06_delivery_passphrase": deliveryPassphrase,
  "20261204_01_queue_view_indexes": queueViewIndexes,
  "20261204_02_reset_handoff": resetHandoff,
  "20261204_03_sla": sla,
  "20261204_05_phone_e164": phoneE164,
  "20261204_06_canned_replies": cannedReplies,
  "20261205_01_user_time_zone": userTimeZone,
  "20261205_02_inbound_messages": inboundMessages,
  "20261205_03_reply_tokens": replyTokens,
  "20261205_04_attachments": attachments,
  "20261206_02_task_last_success": taskLastSuccess,
  "20261206_04_mail_settings": mailSettings,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations)),
  getMigrationName: (name) => name,
  getMigration: (name) => Promise.resolve(migrations[name]!),
};
