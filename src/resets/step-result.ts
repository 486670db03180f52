import type { Problems } from "../shared/problems.js";

/** A step of a reset that was refused: why, one sentence per form field; nothing was written. */
export type Refused = { ok: false; problems: Problems };

/** Every resets service's answer: done (with what the caller needs next), or refused. */
export type StepResult<Done extends object = object> = ({ ok: true } & Done) | Refused;

export const refused = (field: string, problem: string): Refused => ({ ok: false, problems: { [field]: problem } });

export const DONE = { ok: true } as const;
