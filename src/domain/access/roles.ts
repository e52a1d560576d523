/**
 * Cordon's roles, lowest first. They are a domain notion (the access table in
 * decide.ts is written in them); the config only names them, so it imports them from here.
 */
export const ROLES = ['viewer', 'responder', 'commander', 'admin'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];
