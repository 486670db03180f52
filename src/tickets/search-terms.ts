import { MAX_ROW_ID } from "../shared/row-ids.js";

/**
 * One word of a search as typed: its tokens (runs of letters and digits, the way the indexes
 * split text), matched as a phrase of whole words; a word typed with a `*` at its end ("invo*")
 * also matches as a prefix, as in Zendesk's search. Whole words by default, because a prefix of a
 * common word reads every word it begins, at a cost that grows with the desk (issue 16's 1M
 * figures). Only letters and digits reach the query, so nothing typed can be read as FTS syntax
 * (quotes, `*`, `NEAR`, `-`, `:`, parentheses) by either database.
 */
export interface SearchWord {
  tokens: string[];
  prefix: boolean;
  /** A word of digits only is also a ticket number. */
  number: number | null;
  /** A number of six digits or more is also looked for among phone numbers, as these digits. */
  phone: string | null;
}

/** Words past this many are not searched: each is a lookup in every index. */
export const MAX_SEARCH_WORDS = 8;

const PHONE = /^\+?[\d\s().\-/]+$/;
const MIN_PHONE_DIGITS = 6;

/**
 * The digits of a number, without an international "00" or a trunk "0": the phone index holds
 * every number also without its first one to three digits, so these are a prefix of it
 * whatever its country code. Null for fewer than six digits (a ticket number, a year).
 */
function phoneDigits(text: string): string | null {
  const digits = text.replace(/\D/g, "");
  return digits.length >= MIN_PHONE_DIGITS ? digits.replace(/^00?/, "") : null;
}

/**
 * A whole search written the way people write phone numbers ("020 7946 0018", "+44 (20) 7946-0018")
 * is one number. Only the contacts' phone index is searched by its prefix (search-store.ts); in
 * every other text the digits are one whole word like any other, which also keeps PostgreSQL's
 * estimate of a message match honest (a prefix is guessed at several per cent of all messages,
 * enough to tip it into reading the table whole).
 */
function phoneWord(q: string): SearchWord | null {
  const phone = PHONE.test(q) && /\D/.test(q) ? phoneDigits(q) : null;
  return phone ? { tokens: [q.replace(/\D/g, "")], prefix: false, number: null, phone } : null;
}

/**
 * "invo*": a `*` right after the word's last token, of two letters or digits at least. A lone
 * letter with `*` is matched whole: the indexes keep prefixes of two and three, nothing shorter.
 */
const isPrefix = (chunk: string, tokens: string[]) => /[\p{L}\p{N}\p{M}]\*+$/u.test(chunk) && /^[\p{L}\p{N}\p{M}]{2,}$/u.test(tokens[tokens.length - 1]!);

/** The words of a search, in order; none when it holds no letter or digit. */
export function searchWords(q: string): SearchWord[] {
  const text = q.normalize("NFC").trim();
  const phone = phoneWord(text);
  if (phone) return [phone];
  const words = text
    .split(/\s+/)
    .map((chunk) => ({ chunk, tokens: chunk.split(/[^\p{L}\p{N}\p{M}]+/u).filter(Boolean) }))
    .filter((w) => w.tokens.length > 0)
    .slice(0, MAX_SEARCH_WORDS);
  return words.map(({ chunk, tokens }) => {
    const number = /^\d{1,10}$/.test(chunk) ? Number(chunk) : null;
    const phone = /^\d+$/.test(chunk) ? phoneDigits(chunk) : null;
    return { tokens, prefix: isPrefix(chunk, tokens), number: number !== null && number <= MAX_ROW_ID ? number : null, phone };
  });
}
