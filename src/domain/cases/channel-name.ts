import { caseIdParts } from './case-id';

/** Slack's limit on channel names. */
export const CHANNEL_NAME_MAX = 80;

/** Lowercase `[a-z0-9-]` slug, runs collapsed, no leading or trailing dash. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `<prefix>-<yyyymmdd>-<shortid>-<slug>`, at most 80 characters. `attempt` > 1
 * appends `-<attempt>` for Slack's `name_taken`; the slug gives way first so the
 * sortable, unique head is never cut.
 */
export function caseChannelName(prefix: string, caseId: string, findingType: string, attempt = 1): string {
  const { date, short } = caseIdParts(caseId);
  const head = `${slugify(prefix) || 'ir'}-${date}-${short}`;
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const room = CHANNEL_NAME_MAX - head.length - suffix.length - 1;
  const slug = room > 0 ? slugify(findingType).slice(0, room).replace(/-+$/g, '') : '';
  return `${head}${slug ? `-${slug}` : ''}${suffix}`.slice(0, CHANNEL_NAME_MAX);
}

/** Slack's channel-name rule. */
export function isValidChannelName(name: string): boolean {
  return name.length > 0 && name.length <= CHANNEL_NAME_MAX && /^[a-z0-9_-]+$/.test(name);
}

/**
 * `<case-channel>-bridge`, still a valid name when the case channel is at 80
 * characters: the case name gives way, never the suffix. `attempt` > 1 adds `-<n>`.
 */
export function bridgeChannelName(caseChannel: string, attempt = 1): string {
  const suffix = `-bridge${attempt > 1 ? `-${attempt}` : ''}`;
  return `${caseChannel.slice(0, CHANNEL_NAME_MAX - suffix.length).replace(/-+$/g, '')}${suffix}`;
}
