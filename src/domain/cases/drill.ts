/** The title prefix of findings (and so cases) made by `cordon drill`. */
export const DRILL_MARK = '[DRILL]';

/**
 * A drill rehearses the response against a real workspace; it must never change a
 * real resource, so containment in a drill case is planned as a dry run only.
 */
export function isDrillTitle(title: string): boolean {
  return title.startsWith(DRILL_MARK);
}
