/**
 * Who a login is: `primary` holds a customer account, `secondary` is another login of that
 * account; `agent` and `admin` are the desk's staff (an admin is an agent too).
 */
export type Role = "primary" | "secondary" | "agent" | "admin";
export const ROLES = ["primary", "secondary", "agent", "admin"] as const satisfies readonly Role[];
export const STAFF_ROLES = ["agent", "admin"] as const satisfies readonly Role[];

/** Takes any text (a row's role too): only an agent's or an admin's role is staff. */
export const isStaff = (role: string): boolean => role === "agent" || role === "admin";
export const isCustomer = (role: string): boolean => role === "primary" || role === "secondary";
