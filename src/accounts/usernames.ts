/** A primary login's username: the account's 3-letter code and 4 digits (ACM0001), in any case. */
export const PRIMARY_USERNAME = /^[a-z]{3}\d{4}$/i;

export const isPrimaryUsername = (username: string) => PRIMARY_USERNAME.test(username);
