import type { TicketPriority, TicketStatus, TicketType } from "../tickets/vocabulary.js";

/** A random source in [0, 1): Math.random, or a seeded one for repeatable data. */
export type Random = () => number;

/** mulberry32: a small seeded generator, good enough for made-up data. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** One of the keys, with the weights' proportions. */
export function weighted<K extends string>(random: Random, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  let r = random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [key, w] of entries) {
    r -= w;
    if (r < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

const FIRST = ["maria", "james", "li", "fatima", "olga", "pedro", "aisha", "tom", "chen", "sara", "ivan", "noor", "lucas", "emma", "kofi", "yuki", "anna", "omar", "grace", "raj"];
const LAST = ["lopez", "smith", "wang", "khan", "petrov", "silva", "okafor", "brown", "tanaka", "novak", "haddad", "meyer", "rossi", "kim", "dubois", "nguyen", "murphy", "berg", "sato", "ali"];
const COMPANY_A = ["Northwind", "Blue Harbor", "Granite", "Silverline", "Redwood", "Lumen", "Atlas", "Kestrel", "Orchard", "Beacon", "Cobalt", "Meridian"];
const COMPANY_B = ["Logistics", "Dental", "Bakery", "Robotics", "Travel", "Insurance", "Foods", "Studios", "Pharma", "Freight", "Energy", "Analytics"];

export const personName = (random: Random) => ({ first: pick(random, FIRST), last: pick(random, LAST) });
export const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const companyName = (random: Random) => `${pick(random, COMPANY_A)} ${pick(random, COMPANY_B)} ${pick(random, ["Ltd", "GmbH", "Inc", "SA", "BV"])}`;

const SUBJECTS: Record<Exclude<TicketType, "primary_reset">, readonly string[]> = {
  general: ["Question about our contract", "Change of billing address", "How do I add a colleague?", "Invoice copy needed", "Renewal date", "Feedback on the new portal"],
  technical: ["Export to CSV fails", "API returns 502 since this morning", "Cannot upload attachments over 5 MB", "Sync stuck at 80%", "Webhook not firing", "Slow dashboard after update", "SSO login loops back to the start"],
  non_technical: ["Wrong VAT number on invoice", "Please cancel order", "Refund for duplicate payment", "Update our company name", "Request for a quote", "Delivery address changed"],
};
const BODIES = [
  "Hello, could you please look into this? It started a few days ago and affects the whole team.",
  "Hi support, we noticed this today. Steps and a screenshot are attached in our internal wiki; happy to share more.",
  "Good morning, this is the second time we see this. Can you tell us what we should do?",
  "Hi, quick one: see subject. Thanks in advance.",
];
const AGENT_REPLIES = [
  "Thanks for the report. We are looking into it and will come back to you today.",
  "Could you send us the exact time it happened and the affected user names?",
  "We have applied a fix on our side; please try again and let us know.",
];

/** A subject for a ticket of the type, with a short reference so subjects differ. */
export const ticketSubject = (random: Random, type: Exclude<TicketType, "primary_reset">) =>
  `${pick(random, SUBJECTS[type])} (ref ${Math.floor(random() * 90_000) + 10_000})`;
export const ticketBody = (random: Random) => pick(random, BODIES);
export const agentReply = (random: Random) => pick(random, AGENT_REPLIES);

export const TYPE_WEIGHTS = { general: 30, technical: 45, non_technical: 25 } as const;
export const PRIORITY_WEIGHTS: Readonly<Record<TicketPriority, number>> = { low: 20, normal: 55, high: 20, urgent: 5 };

const DAY = 86_400_000;
/** Recent tickets are mostly still being worked on; old ones mostly closed. */
export function statusForAge(random: Random, ageMs: number): TicketStatus {
  if (ageMs < 3 * DAY) return weighted(random, { new: 35, open: 35, pending_customer: 15, resolved: 15, closed: 0 });
  if (ageMs < 30 * DAY) return weighted(random, { new: 5, open: 25, pending_customer: 20, resolved: 30, closed: 20 });
  return weighted(random, { new: 1, open: 4, pending_customer: 5, resolved: 10, closed: 80 });
}
