import type { Job } from '../../src/jobs/job-queue';
import { ActionId } from '../../src/slack/ids';
import { hostileHarness, USERS } from '../reliability/hostile-harness';

type Harness = Awaited<ReturnType<typeof hostileHarness>>;

/**
 * Issue 17 points 3 and 6 through the whole wired Cordon: a production containment needs
 * two commanders, so does its revert, and a job handed straight to the worker (as a
 * compromised `slack` function could) runs only when it is what the store says was asked
 * for and approved. Every refusal is audited and changes nothing in the simulated AWS.
 */
describe('the worker trusts nobody: two-person containment and revert', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await hostileHarness();
  }, 60_000);
  afterAll(async () => h.close());

  const awsChanges = () => h.aws.sb.mutations().length;
  const refusals = async () => (await h.cordon.store.listAudit({ actionId: h.actionA.id })).filter((e) => e.event === 'job.refused');
  const forged = async (job: Job): Promise<string> => {
    const before = (await refusals()).length;
    const changes = awsChanges();
    const version = (await h.cordon.store.getAction(h.actionA.id))!.version;
    await h.cordon.worker().run(job);
    await h.settle();
    const after = await refusals();
    expect(after).toHaveLength(before + 1);
    expect(awsChanges()).toBe(changes);
    expect((await h.cordon.store.getAction(h.actionA.id))!.version).toBe(version);
    return String(after.at(-1)?.detail?.reason);
  };
  const status = async () => (await h.cordon.store.getAction(h.actionA.id))!.status;
  const job = (type: 'apply' | 'revert', by: string): Job => ({ type, actionId: h.actionA.id, by, target: h.actionA.target.ref });

  it('applies only the approved job of the approver; a replay after apply is refused', async () => {
    await h.click(USERS.cmd2, ActionId.APPROVE, h.actionA.id, h.caseA.channelId!);
    await h.settle();
    expect(await status()).toBe('applied');
    expect(await forged(job('apply', USERS.cmd2))).toMatch(/is applied; nothing to apply/);
  });

  it('a revert by one commander waits for a second; forged revert jobs meanwhile are refused', async () => {
    const before = awsChanges();
    await h.click(USERS.cmd, ActionId.REVERT, h.actionA.id, h.caseA.channelId!);
    await h.settle();
    const a = (await h.cordon.store.getAction(h.actionA.id))!;
    expect(a.status).toBe('applied');
    expect(a.revertRequest).toMatchObject({ by: USERS.cmd, approvalRule: 'production needs two people' });
    expect(awsChanges()).toBe(before);
    expect((await h.cordon.store.listTimeline(h.caseA.id)).map((e) => e.text)).toContainEqual(expect.stringMatching(/Revert of A-\S+ requested; it needs a second commander/));

    // The asker's own job, a responder's, and the asker pressing Revert again: all refused.
    expect(await forged(job('revert', USERS.cmd))).toMatch(/the revert of A-\S+ needs approval \(production needs two people\) and has none/);
    expect(await forged(job('revert', USERS.resp))).toMatch(/needs approval/);
    const ephemerals = h.slack.ephemerals().length;
    await h.click(USERS.cmd, ActionId.REVERT, h.actionA.id, h.caseA.channelId!);
    await h.settle();
    expect(h.slack.ephemerals().slice(ephemerals).map((e) => e.text)).toContainEqual(expect.stringContaining('another commander must approve it'));
    expect(await status()).toBe('applied');
    expect(awsChanges()).toBe(before);
  });

  it('the second commander runs it; the job of anyone else, and a replay, are refused', async () => {
    // A responder's forged job naming the approval that is about to happen is refused until it has.
    expect(await forged(job('revert', USERS.cmd2))).toMatch(/needs approval/);
    const before = awsChanges();
    await h.click(USERS.cmd2, ActionId.REVERT, h.actionA.id, h.caseA.channelId!);
    await h.settle();
    expect(await status()).toBe('reverted');
    expect(awsChanges()).toBeGreaterThan(before);
    // The request is used up: the same job again finds nobody asking.
    expect(await forged(job('revert', USERS.cmd2))).toMatch(/nobody asked to revert action A-\S+/);
  });

  it('a role taken away meanwhile is a refusal: the worker re-checks the role, not the job', async () => {
    // A revert asked for by a commander, then the commander's role is gone from the config.
    const a = (await h.cordon.store.getAction(h.actionA.id))!;
    await h.cordon.store.updateAction({ ...a, status: 'revert_failed', revertRequest: { by: 'U0GONE', at: new Date().toISOString() } });
    expect(await forged(job('revert', 'U0GONE'))).toBe('U0GONE: You are a viewer; `revert` needs commander or above.');
  });
});
