/** A primary login's username: the account's 3-letter code and 4 digits (ACM0001), in any case. */
const PRIMARY_USERNAME = /^[a-z]{3}\d{4}$/i;

export const isPrimaryUsername = (username: string) => PRIMARY_USERNAME.test(username);

/** The ending that keeps a username in one account's namespace: `.acm` for account ACM. */
const ACCOUNT_SUFFIX = /\.([a-z]{3})$/i;

/** The account code whose namespace the username is in (`frank.acm` → ACM), or null. */
export const namespaceOf = (username: string): string | null => ACCOUNT_SUFFIX.exec(username)?.[1]?.toUpperCase() ?? null;

/**
 * A secondary login named by its primary holder lives in the account's namespace: `frank`
 * becomes `frank.acm`. Only logins of ACM are ever named so, so "that username is taken"
 * tells the holder about their own account's logins only, never staff's or other accounts'.
 */
export const scopedUsername = (typed: string, accountCode: string): string =>
  namespaceOf(typed) === accountCode.toUpperCase() ? typed : `${typed}.${accountCode.toLowerCase()}`;
