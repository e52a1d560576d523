import type { Band } from '../findings/finding';

/** docs/architecture.md §4 bands. GuardDuty's own boundaries; Critical is for attack sequences. */
export function bandOf(severity: number): Band {
  if (severity >= 9) return 'critical';
  if (severity >= 7) return 'high';
  if (severity >= 4) return 'medium';
  return 'low';
}

export const BAND_ORDER: Record<Band, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export const BAND_LABEL: Record<Band, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
