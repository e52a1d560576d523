import { clockTick } from '../../src/app/clock-tick';
import { buildCordon, type Cordon } from '../../src/app/cordon';
import { runIngest } from '../../src/cli/commands/ingest';
import { loadConfig, type Config } from '../../src/config/load-config';
import { CHECK_NOT_COMPLETED, PRINCIPAL_CHECK_GRACE_MS, PRINCIPAL_CHECK_MAX_REASKS } from '../../src/domain/findings/principal-check';
import { CordonError, ErrorCode } from '../../src/errors';
import type { Job, JobQueue } from '../../src/jobs/job-queue';
import { silentLogger } from '../../src/log';
import { ActionId } from '../../src/slack/ids';
import type { Store, StoredJob } from '../../src/store/store';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlackSandbox } from '../../sandbox/slack';
import { containmentHarness, PROD, REGION } from '../support/aws';
import { testConfigYaml } from '../support/cli-harness';
import { keyFindingDetail } from '../support/fixtures';

const RESP = 'U0RESP';

/** A High GuardDuty finding (EventBridge event) about IAM user `userName`'s key, seen as `principalId`. */
function keyEvent(id: string, userName: string, principalId: string, at: Date): Record<string, unknown> {
  return { 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: keyFindingDetail({ id, account: PROD, region: REGION, userName, principalId, at }) };
}

/** The store, except that queueing a principal-check job fails while `refuse.on` (the in-process queue records a job in the store before it acks). */
function refusingJobs(store: Store, refuse: { on: boolean }): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'putJob') {
        return (j: StoredJob) =>
          refuse.on && j.job.type === 'principal-check' ? Promise.reject(new CordonError(ErrorCode.STORE_UNAVAILABLE, 'the store refused the job (simulated)')) : target.putJob(j);
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Issue: a principal check whose request is lost must not leave a card "checking…" forever (fail safe, then fail loud). */
describe('the clock sweeps principal checks whose request was lost', () => {
  let slack: SlackSandbox;
  let aws: ReturnType<typeof containmentHarness>;
  let cordon: Cordon;
  let clock: number;
  const now = () => new Date(clock);

  beforeEach(async () => {
    config = undefined;
    clock = Date.parse('2026-12-01T10:00:00.000Z');
    slack = await SlackSandbox.start({});
    slack.addUser({ id: RESP, name: 'resp' });
    aws = containmentHarness({ clock: { now: () => clock, sleep: (ms) => void (clock += ms) } });
  });

  afterEach(async () => {
    await cordon.worker().inProcess?.idle();
    await slack.close();
  });

  let config: Config | undefined;
  /** A Cordon on the sandboxes; `principalChecks: false` is how `cordon ingest` and `drill` build theirs (src/cli/main.ts). */
  function build(opts: { store: Store; queue?: JobQueue; principalChecks?: boolean }): Cordon {
    if (!config) {
      const triage = slack.addChannel({ name: 'security-triage', members: ['UBOT', RESP] });
      const yaml = testConfigYaml({ triageChannel: triage, invite: [RESP], extra: `access:\n  users: { ${RESP}: responder }\ncontainment: { untrackSeconds: 0 }` });
      config = loadConfig({ CORDON_CONFIG: 'x.yaml', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_API_URL: slack.apiUrl }, () => yaml);
    }
    cordon = buildCordon(config, silentLogger, {
      store: opts.store,
      clientFactory: aws.factory,
      now,
      sleep: () => Promise.resolve(),
      principalChecks: opts.principalChecks ?? true,
      ...(opts.queue ? { queue: opts.queue } : {}),
    });
    return cordon;
  }

  /** One tick of the clock at the current time, with the jobs it started run. */
  async function tick(): Promise<void> {
    await clockTick(cordon, now());
    await cordon.worker().inProcess?.idle();
    await cordon.slack!.publisher.flush();
  }

  /** The finding's card as the sandbox Slack holds it now. */
  function card(findingId: string): { channel: string; blocks: string } {
    const channel = slack.channels().find((c) => c.name.startsWith('ir-'))!;
    const m = slack.messages(channel.id).find((x) => JSON.stringify(x.blocks ?? []).includes(findingId))!;
    return { channel: channel.id, blocks: JSON.stringify(m.blocks ?? []) };
  }

  it('the enqueue fails after the finding is stored: the next tick past the grace period asks again, and the check completes', async () => {
    const refuse = { on: true };
    build({ store: refusingJobs(aws.store, refuse) });
    const user = aws.sb.createUser(PROD, 'ci-deploy');
    const id = 'f5000000000000000000000000000001';
    await cordon.pipeline.ingestDocument(keyEvent(id, 'ci-deploy', user.userId, now()), 'test');
    await cordon.worker().inProcess?.idle();
    await cordon.slack!.publisher.flush();
    // Fail safe: still pending (no Contain on the card), and when it was asked for is on record.
    expect((await aws.store.getFinding(id))!.principalCheck).toMatchObject({ status: 'pending', requestedAt: now().toISOString() });
    expect(card(id).blocks).toContain('Checking that IAM user ci-deploy is the principal the finding saw');
    expect(card(id).blocks).not.toContain(ActionId.CONTAIN);

    refuse.on = false;
    // Within the grace period nothing is asked again: the first request may still be on its way.
    clock += PRINCIPAL_CHECK_GRACE_MS - 1000;
    await tick();
    expect((await aws.store.getFinding(id))!.principalCheck?.status).toBe('pending');

    clock += 2000;
    await tick();
    const check = (await aws.store.getFinding(id))!.principalCheck;
    expect(check).toMatchObject({ status: 'verified', foundId: user.userId, reasks: 1 });
    expect(card(id).blocks).toContain(`its UserId ${user.userId} matches the finding`);
    expect(card(id).blocks).toContain(ActionId.CONTAIN);
    // Nothing is left for a later sweep.
    expect(await aws.store.pendingPrincipalChecks(new Date(clock + 3_600_000).toISOString(), 10)).toEqual([]);
  });

  it('a check that never completes ends, after the limit, with a verdict saying so; Contain from the card is refused', async () => {
    // The queue takes every job and drops it (an async invoke lost after its retries).
    const dropped: Job[] = [];
    build({ store: aws.store, queue: { enqueue: (job) => Promise.resolve(void dropped.push(job)) } });
    const user = aws.sb.createUser(PROD, 'ci-deploy');
    const id = 'f5000000000000000000000000000002';
    await cordon.pipeline.ingestDocument(keyEvent(id, 'ci-deploy', user.userId, now()), 'test');
    await cordon.slack!.publisher.flush();
    expect(dropped.filter((j) => j.type === 'principal-check')).toHaveLength(1);

    // Asked again once per grace period, up to the limit; the card keeps saying "checking…" meanwhile.
    for (let n = 1; n <= PRINCIPAL_CHECK_MAX_REASKS; n++) {
      clock += PRINCIPAL_CHECK_GRACE_MS;
      await tick();
      expect((await aws.store.getFinding(id))!.principalCheck).toMatchObject({ status: 'pending', reasks: n });
      expect(dropped.filter((j) => j.type === 'principal-check')).toHaveLength(1 + n);
    }
    clock += PRINCIPAL_CHECK_GRACE_MS;
    await tick();
    const check = (await aws.store.getFinding(id))!.principalCheck!;
    expect(check.status).toBe('unchecked');
    expect(check.reason).toContain(CHECK_NOT_COMPLETED);
    // Not asked again after giving up.
    expect(dropped.filter((j) => j.type === 'principal-check')).toHaveLength(1 + PRINCIPAL_CHECK_MAX_REASKS);

    // Fail loud: the card says why instead of "checking…", offers no Contain, and the case channel is told.
    const c = card(id);
    expect(c.blocks).not.toContain('Checking that');
    expect(c.blocks).toContain('Could not confirm that IAM user ci-deploy is the principal the finding saw');
    expect(c.blocks).toContain(CHECK_NOT_COMPLETED);
    expect(c.blocks).not.toContain(ActionId.CONTAIN);
    expect(slack.messages(c.channel).some((m) => (m.text ?? '').startsWith(`Finding ${id}: Could not confirm`) && (m.text ?? '').includes(CHECK_NOT_COMPLETED))).toBe(true);

    // The safe side, as for any check that could not confirm the principal: refused from the finding, nothing planned.
    const err = (await cordon
      .services()
      .actions.requestContain({ userId: RESP, teamId: 'T0SANDBOX', channelId: c.channel }, { target: `arn:aws:iam::${PROD}:user/ci-deploy`, dryRun: false, findingId: id })
      .catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe(ErrorCode.PRINCIPAL_MISMATCH);
    expect(dropped.filter((j) => j.type === 'plan')).toEqual([]);
    expect(await aws.store.listActions({})).toEqual([]);
  });

  it('cordon ingest runs no worker: its checks stay pending, and the first tick of cordon serve (or the ticker) on the store asks for them', async () => {
    const user = aws.sb.createUser(PROD, 'ci-deploy');
    const id = 'f5000000000000000000000000000003';
    const file = join(mkdtempSync(join(tmpdir(), 'cordon-sweep-')), 'one.json');
    writeFileSync(file, JSON.stringify(keyEvent(id, 'ci-deploy', user.userId, now())));
    const cli = build({ store: aws.store, principalChecks: false });
    await runIngest(cli, file, { out: () => undefined, err: () => undefined, readStdin: () => Promise.resolve('') });
    expect((await aws.store.getFinding(id))!.principalCheck?.status).toBe('pending');
    expect(card(id).blocks).toContain('Checking that IAM user ci-deploy');

    // cordon serve starts later on the same store; its clock sweeps once the grace period is over.
    build({ store: aws.store });
    clock += PRINCIPAL_CHECK_GRACE_MS;
    await tick();
    expect((await aws.store.getFinding(id))!.principalCheck).toMatchObject({ status: 'verified', foundId: user.userId });
    expect(card(id).blocks).toContain(`its UserId ${user.userId} matches the finding`);
  });
});
