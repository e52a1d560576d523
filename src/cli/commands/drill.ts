import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../config/load-config';
import type { Cordon } from '../../app/cordon';
import { attackFindings } from '../../demo/attack-scenario';
import type { CliIo } from '../output';

/** What `cordon drill --json` prints. */
export interface DrillResult {
  ok: boolean;
  caseIds: string[];
  channels: string[];
  findings: number;
}

/** Fake but well-formed ids, so no drill finding can be mistaken for a real resource. */
function drillKey(): string {
  return `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
}

/**
 * `cordon drill`: the demo's attack, titled `[DRILL]`, through the real pipeline into
 * the configured Slack, in the first configured account and region. Resources are
 * made up and any containment asked for in the drill case is planned as a dry run.
 */
export async function runDrill(cordon: Cordon, io: CliIo, json: boolean): Promise<DrillResult> {
  if (!cordon.slack) throw new ConfigError('a drill needs Slack', ['missing environment variable SLACK_BOT_TOKEN (the bot token, xoxb-…)']);
  const account = cordon.config.accounts[0];
  const region = cordon.config.regions[0];
  if (!account || !region) throw new ConfigError('a drill needs an account and a region', [`${cordon.config.configPath}: accounts and regions must each name at least one`]);
  const events = attackFindings(
    {
      accountId: account.id,
      region,
      userName: 'cordon-drill-user',
      accessKeyId: drillKey(),
      newAccessKeyId: drillKey(),
      instanceIds: [1, 2, 3].map(() => `i-0${randomBytes(8).toString('hex')}`),
      bucket: 'cordon-drill-bucket',
      attackerIp: '198.51.100.23',
      startAt: cordon.now(),
    },
    { drill: true, newId: () => randomBytes(16).toString('hex') },
  );
  const summary = await cordon.pipeline.ingestDocument(events, 'drill');
  const slack = await cordon.slack.publisher.flush();
  const cases = await Promise.all(summary.casesOpened.map((id) => cordon.store.getCase(id)));
  const channels = cases.flatMap((c) => (c?.channelName ? [c.channelName] : []));
  const result: DrillResult = { ok: summary.rejected === 0 && channels.length === summary.casesOpened.length && slack.failures === 0, caseIds: summary.casesOpened, channels, findings: summary.received };
  if (!json) {
    io.out(`drill: ${summary.received} [DRILL] findings in account ${account.id} (${account.name}), ${region}: ${summary.cased} to cases, ${summary.suppressed} suppressed`);
    for (const c of cases) if (c) io.out(`case ${c.id} in #${c.channelName ?? '(channel not created yet)'}: containment there is planned as a dry run only`);
    if (!result.ok) io.err('cordon: the drill did not reach Slack completely; see the log');
  }
  return result;
}
