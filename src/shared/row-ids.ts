/** The largest id an integer column holds (PostgreSQL's int4): a longer number names no row. */
export const MAX_ROW_ID = 2_147_483_647;

/** Whether the text is a row id: digits only, a positive whole number that fits the column. */
export const isRowId = (text: string): boolean => /^[1-9]\d{0,9}$/.test(text) && Number(text) <= MAX_ROW_ID;
