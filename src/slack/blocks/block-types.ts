import type { KnownBlock } from '@slack/types';

export type { KnownBlock };

/** A message ready for chat.postMessage / chat.update: fallback text plus blocks. */
export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit limits Cordon renders within (Slack rejects anything larger). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  fallbackText: 3000,
} as const;
