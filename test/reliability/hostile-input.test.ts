import { makeFindingDetail, toEventBridgeEvent } from '../../sandbox/findings/finding-factory';
import { commandBody } from '../../sandbox/slack/signed-requests';
import type { Job } from '../../src/jobs/job-queue';
import { ActionId } from '../../src/slack/ids';
import { runCli, testConfigYaml, testWorkspace } from '../support/cli-harness';
import { hostileHarness, USERS, type StateCount } from './hostile-harness';
import { recordFigures } from './figures';

type Harness = Awaited<ReturnType<typeof hostileHarness>>;

/** What Cordon answered: the ack body, every ephemeral since, or an HTTP status / a rejection reason. */
interface Answer {
  status?: number;
  text: string;
}

interface HostileCase {
  name: string;
  send: (h: Harness) => Promise<Answer>;
  /** The specific error expected, verbatim or as a pattern. */
  expect: string | RegExp;
  /** The Slack HTTP answer when not 200. */
  status?: number;
}


async function slash(h: Harness, user: string, text: string, channel?: string, opts: Parameters<Harness['command']>[3] = {}): Promise<Answer> {
  const before = h.slack.ephemerals().length;
  const res = await h.command(user, text, channel ?? h.caseA.channelId!, opts);
  await h.settle();
  const acked = res.text ? ((JSON.parse(res.text) as { text?: string }).text ?? '') : '';
  return { status: res.status, text: [acked, ...h.slack.ephemerals().slice(before).map((e) => e.text ?? '')].filter(Boolean).join('\n') };
}

async function click(h: Harness, user: string, actionId: string, value: string, channel?: string): Promise<Answer> {
  const before = h.slack.ephemerals().length;
  const res = await h.click(user, actionId, value, channel ?? h.caseA.channelId!);
  await h.settle();
  return { status: res.status, text: h.slack.ephemerals().slice(before).map((e) => e.text ?? '').join('\n') };
}

async function finding(h: Harness, doc: unknown): Promise<Answer> {
  const s = await h.cordon.pipeline.ingestDocument(doc, 'hostile');
  const rejected = await h.cordon.store.listRejected(1);
  return { text: s.rejected ? (rejected[0]?.reason ?? '') : `accepted ${s.received}` };
}

/**
 * A forged job handed straight to the worker, as anyone who can invoke the `worker`
 * function could (a compromised `slack` function included). The answer is the reason the
 * guard audited; the audit trail must hold exactly one more record, a refusal.
 */
async function forged(h: Harness, job: Job): Promise<Answer> {
  const before = (await h.cordon.store.listAudit({})).length;
  await h.cordon.worker().run(job);
  await h.settle();
  const audit = await h.cordon.store.listAudit({});
  const added = audit.slice(before);
  if (added.length !== 1 || added[0]?.event !== 'job.refused' || added[0].allowed !== false) return { text: `not refused and audited once: ${JSON.stringify(added)}` };
  return { text: String(added[0].detail?.reason) };
}

const C = (name: string, expectText: string | RegExp, send: HostileCase['send'], status?: number): HostileCase => ({ name, send, expect: expectText, ...(status ? { status } : {}) });

const CASES: HostileCase[] = [
  // Look-alike and malformed targets.
  C('instance id too short', '"arn:aws:ec2:us-east-1:111111111111:instance/i-0abc" is not something Cordon can contain: only EC2 instances (instance/i-…) can be contained.', (h) => slash(h, USERS.resp, 'contain arn:aws:ec2:us-east-1:111111111111:instance/i-0abc')),
  C('account of 11 digits', '"arn:aws:iam::11111111111:user/x" is not something Cordon can contain: the account must be 12 digits.', (h) => slash(h, USERS.resp, 'contain arn:aws:iam::11111111111:user/x')),
  C('user without a name', 'only IAM users (user/&lt;name&gt;) and roles (role/&lt;name&gt;) can be contained', (h) => slash(h, USERS.resp, 'contain arn:aws:iam::111111111111:user/')),
  C('IAM group', '"arn:aws:iam::111111111111:group/admins" is not something Cordon can contain: only IAM users', (h) => slash(h, USERS.resp, 'contain arn:aws:iam::111111111111:group/admins')),
  C('S3 bucket ARN', '"arn:aws:s3:::customer-data" is not something Cordon can contain', (h) => slash(h, USERS.resp, 'contain arn:aws:s3:::customer-data')),
  C('account outside the allowlist', 'account 333333333333 is not in Cordon\'s allowlist (accounts in the config); Cordon acts only in listed accounts (ACCOUNT.NOT_ALLOWED)', (h) => slash(h, USERS.resp, 'contain arn:aws:ec2:us-east-1:333333333333:instance/i-0123456789abcdef0')),
  C('Lambda ARN without a name', 'only Lambda functions (function:&lt;name&gt;) can be contained', (h) => slash(h, USERS.resp, 'contain arn:aws:lambda:us-east-1:111111111111:function:')),
  C('short access key id', '"AKIA123" is not something Cordon can contain: an access key id is AKIA or ASIA followed by 16 characters A-Z or 2-7.', (h) => slash(h, USERS.resp, 'contain AKIA123')),
  C('Cyrillic a in "arn"', 'is not something Cordon can contain: it is neither an ARN nor an access key id.', (h) => slash(h, USERS.resp, 'contain \u0430rn:aws:iam::111111111111:user/x')),
  C('full-width digits in the account', 'is not something Cordon can contain: the account must be 12 digits.', (h) => slash(h, USERS.resp, 'contain arn:aws:iam::\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11:user/x')),
  C('user name of 3,000 characters', /is not something Cordon can contain: "x{63}…" is not a valid IAM name \(1–128 letters, digits and \+=,\.@_-\)/, (h) => slash(h, USERS.resp, `contain arn:aws:iam::111111111111:user/${'x'.repeat(3000)}`)),
  C('unknown option', 'unknown option `--force`. Usage: `/ir contain &lt;arn|access-key-id&gt; [--dry-run] [reason]`', (h) => slash(h, USERS.resp, 'contain arn:aws:iam::111111111111:user/x --force')),
  C('mention injection as the target', '"&lt;!channel&gt;" is not something Cordon can contain: it contains spaces, control or markup characters.', (h) => slash(h, USERS.resp, 'contain <!channel>')),
  C('link injection as the target', '"&lt;https://evil.example|arn:aws:iam::111111111111:user/x&gt;" is not something Cordon can contain', (h) => slash(h, USERS.resp, 'contain <https://evil.example|arn:aws:iam::111111111111:user/x>')),
  // Control and invisible characters, sizes.
  C('BEL inside an ARN', 'the command contains an invisible character (U+0007); type it again without it', (h) => slash(h, USERS.resp, 'contain arn:aws:iam::111111111111:user/a\u0007b')),
  C('NUL in a note', 'the command contains an invisible character (U+0000)', (h) => slash(h, USERS.resp, 'note hello\u0000world')),
  C('right-to-left override in a note', 'the command contains an invisible character (U+202E)', (h) => slash(h, USERS.resp, 'note approved by \u202eredlof')),
  C('zero-width space in a subcommand', 'the command contains an invisible character (U+200B)', (h) => slash(h, USERS.resp, 'res\u200bolve')),
  C('note of 3,001 characters', 'the note is 3001 characters; at most 3000. Usage: `/ir note &lt;text&gt;`', (h) => slash(h, USERS.resp, `note ${'n'.repeat(3001)}`)),
  C('command of 4,001 characters', 'the command could not be read (the command is longer than 4000 characters); try `/ir help` (INPUT.INVALID)', (h) => slash(h, USERS.resp, 'x'.repeat(4001))),
  C('mention injection as a finding type', '`&lt;!here&gt;` is not a finding type (ThreatPurpose:ResourceType/ThreatFamily, * allowed)', (h) => slash(h, USERS.cmd, 'suppress <!here>')),
  C('suppress everything', '`*` matches every finding type and would blind triage; suppress one type or a family (e.g. Recon:EC2/*) (INPUT.INVALID)', (h) => slash(h, USERS.cmd, 'suppress *')),
  C('suppress every family', '`*:*` matches every finding type and would blind triage', (h) => slash(h, USERS.cmd, 'suppress *:*')),
  C('suppress for a year', 'a suppression rule lasts at most 90d (triage.suppressionMaxExpiry); ask for less with --for (INPUT.INVALID)', (h) => slash(h, USERS.cmd, 'suppress Recon:EC2/PortProbeUnprotectedPort --for 365d scanner')),
  C('page 99999', 'the page is a number from 1. Usage: `/ir timeline [page]`', (h) => slash(h, USERS.resp, 'timeline 99999')),
  C('page -1', 'the page is a number from 1. Usage: `/ir timeline [page]`', (h) => slash(h, USERS.resp, 'timeline -1')),
  C('malformed rule id', 'give one rule id (s-1a2b3c). Usage: `/ir unsuppress &lt;rule-id&gt;`', (h) => slash(h, USERS.cmd, 'unsuppress s-zzzzzz')),
  C('unknown subcommand', '`rm` is not an /ir command; `/ir help` lists them', (h) => slash(h, USERS.resp, 'rm -rf /')),
  C('arguments to a bare command', '`/ir status` takes no arguments. Usage: `/ir status`', (h) => slash(h, USERS.resp, 'status --all')),
  C('malformed action id', '`A-1` is not an action id (A-&lt;yyyymmddhhmmss&gt;-&lt;4 chars&gt;). Usage: `/ir revert &lt;action-id&gt; [--keep-off &lt;access-key-id&gt;…] [--restore-open]`', (h) => slash(h, USERS.cmd, 'revert A-1')),
  C('unknown action id', 'no action A-20261122020000-zzzz (INPUT.INVALID)', (h) => slash(h, USERS.cmd, 'revert A-20261122020000-zzzz')),
  // Privilege and place.
  C('viewer asks to contain', 'You are a viewer; `contain` needs responder or above. (ACCESS.DENIED)', (h) => slash(h, USERS.view, 'contain arn:aws:iam::111111111111:user/alpha')),
  C('responder asks to resolve', 'You are a responder; `resolve` needs commander or above. (ACCESS.DENIED)', (h) => slash(h, USERS.resp, 'resolve')),
  C('viewer asks to escalate', 'You are a viewer; `escalate` needs responder or above. (ACCESS.DENIED)', (h) => slash(h, USERS.view, 'escalate')),
  C('resolve outside a case channel', 'run `/ir resolve [summary]` in a case channel (CASE.NOT_FOUND)', (h) => slash(h, USERS.cmd, 'resolve', h.triage)),
  C('ack a case that is not escalated', /case IR-\d{8}-[0-9A-Z]{4} is not escalated; nothing to acknowledge \(INPUT.INVALID\)/, (h) => slash(h, USERS.resp, 'ack')),
  C('a command from another workspace', /another Slack workspace|not this Cordon's workspace/i, (h) => slash(h, USERS.cmd, 'resolve', undefined, { team: 'T0EVIL' })),
  // Button values.
  C('unknown action in Approve', 'no action A-20261122020000-zzzz (INPUT.INVALID)', (h) => click(h, USERS.cmd2, ActionId.APPROVE, 'A-20261122020000-zzzz')),
  C('SQL in a button value', 'this button is not one Cordon made (the button does not name an action) (INPUT.INVALID)', (h) => click(h, USERS.cmd2, ActionId.APPROVE, "'; DROP TABLE actions;--")),
  C('Approve naming another case\'s action', /action A-\S+ belongs to case IR-\S+; act on it in <#C[A-Z0-9]+> \(INPUT.INVALID\)/, (h) => click(h, USERS.cmd2, ActionId.APPROVE, h.actionB.id)),
  C('Reject naming another case\'s action', /action A-\S+ belongs to case IR-\S+; act on it in <#C[A-Z0-9]+>/, (h) => click(h, USERS.cmd2, ActionId.REJECT, h.actionB.id)),
  C('Revert of an action still pending', /action A-\S+ is pending approval; only applied, partially applied, failed or interrupted actions can be reverted/, (h) => click(h, USERS.cmd2, ActionId.REVERT, h.actionA.id)),
  C('Acknowledge naming another case', /this button is for case IR-\S+; use it in <#C[A-Z0-9]+> \(INPUT.INVALID\)/, (h) => click(h, USERS.resp, ActionId.ACKNOWLEDGE, h.caseB.id)),
  C('mention injection in a button value', 'this button is not one Cordon made (the button does not name a case) (INPUT.INVALID)', (h) => click(h, USERS.resp, ActionId.ACKNOWLEDGE, 'IR-<!channel>')),
  C('Contain naming another case\'s finding', /finding b{32} belongs to case IR-\S+; act on it in <#C[A-Z0-9]+>/, (h) => click(h, USERS.resp, ActionId.CONTAIN, 'b'.repeat(32))),
  C('Escalate naming another case\'s finding', /finding b{32} belongs to case IR-\S+; act on it in <#C[A-Z0-9]+>/, (h) => click(h, USERS.resp, ActionId.ESCALATE, 'b'.repeat(32))),
  C('Suppress similar with an unknown finding', 'no finding ffffffffffffffffffffffffffffffff (INPUT.INVALID)', (h) => click(h, USERS.cmd, ActionId.SUPPRESS_SIMILAR, 'f'.repeat(32))),
  C('button value of 3,000 characters', 'this button is not one Cordon made (Too big: expected string to have &lt;=300 characters) (INPUT.INVALID)', (h) => click(h, USERS.resp, ActionId.CONTAIN, 'x'.repeat(3000))),
  // Forged jobs: the worker checks each against the store before any AWS call.
  C('forged apply of an action nobody approved', /action A-\S+ is pending approval; it is not approved/, (h) => forged(h, { type: 'apply', actionId: h.actionA.id, by: USERS.cmd, target: h.actionA.target.ref })),
  C('forged apply naming another approver', /action A-\S+ is pending approval; it is not approved/, (h) => forged(h, { type: 'apply', actionId: h.actionA.id, by: USERS.cmd2, target: h.actionA.target.ref })),
  C('forged apply of an unknown action', 'no action A-20261122020000-zzzz', (h) => forged(h, { type: 'apply', actionId: 'A-20261122020000-zzzz', by: USERS.cmd2, target: h.actionA.target.ref })),
  C('forged apply naming another target', /the job names target arn:aws:ec2:\S+, but action A-\S+ acts on arn:aws:ec2:/, (h) => forged(h, { type: 'apply', actionId: h.actionA.id, by: USERS.cmd2, target: h.actionB.target.ref })),
  C('forged revert nobody asked for', /nobody asked to revert action A-\S+/, (h) => forged(h, { type: 'revert', actionId: h.actionA.id, by: USERS.resp, target: h.actionA.target.ref })),
  C('forged plan by a viewer', 'U0VIEW: You are a viewer; `contain` needs responder or above.', (h) =>
    forged(h, { type: 'plan', request: { target: h.actionA.target.ref, requestedBy: USERS.view, caseId: h.caseA.id, dryRun: false }, teamId: 'T0SANDBOX', channelId: h.caseA.channelId! })),
  C('forged plan from another workspace', 'the job names workspace T0EVIL, not this Cordon\'s', (h) =>
    forged(h, { type: 'plan', request: { target: h.actionA.target.ref, requestedBy: USERS.cmd, caseId: h.caseA.id, dryRun: false }, teamId: 'T0EVIL', channelId: h.caseA.channelId! })),
  C('forged plan in a case that does not exist', 'no case IR-20261122-ZZZZ', (h) =>
    forged(h, { type: 'plan', request: { target: h.actionA.target.ref, requestedBy: USERS.cmd, caseId: 'IR-20261122-ZZZZ', dryRun: false }, teamId: 'T0SANDBOX', channelId: h.caseA.channelId! })),
  C('forged filters job for an unknown rule', 'no suppression rule s-ffffff', (h) => forged(h, { type: 'suppression-filters', ruleId: 's-ffffff' })),
  C('forged bridge for a case nobody escalated', /case IR-\S+ is not escalated/, (h) => forged(h, { type: 'bridge', caseId: h.caseA.id })),
  // Requests Slack did not sign, or signed long ago.
  C('forged signature', '', async (h) => {
    const body = commandBody({ text: 'resolve', user: USERS.cmd, channel: h.caseA.channelId! });
    return h.raw(body, { ...h.headers(body), 'x-slack-signature': 'v0=' + '0'.repeat(64) });
  }, 401),
  C('replayed request, 10 minutes old', '', (h) => slash(h, USERS.cmd, 'resolve', undefined, { timestamp: Math.floor(Date.now() / 1000) - 600 }), 401),
  C('signed with another secret', '', (h) => slash(h, USERS.cmd, 'resolve', undefined, { secret: 'not-the-signing-secret-000000000' }), 401),
  // Findings.
  C('not a GuardDuty event', /not a GuardDuty finding event/, (h) => finding(h, { ...toEventBridgeEvent(makeFindingDetail({})), source: 'aws.ec2' })),
  C('severity as a word', 'severity: is a string, not a number from 0 to 10', (h) => finding(h, toEventBridgeEvent({ ...makeFindingDetail({}), severity: 'high' }))),
  C('account id of letters', 'accountId: accountId is not a 12-digit AWS account id', (h) => finding(h, toEventBridgeEvent({ ...makeFindingDetail({}), accountId: 'abcdefghijkl' }))),
  C('finding without an id', 'id: missing', (h) => finding(h, toEventBridgeEvent({ ...makeFindingDetail({}), id: undefined }))),
  C('finding of 2 MB', /^the finding is 2,00\d,\d{3} characters of JSON; a GuardDuty finding fits in EventBridge's 256 KiB event limit$/, (h) => finding(h, toEventBridgeEvent({ ...makeFindingDetail({}), description: 'x'.repeat(2_000_000) }))),
  C('a bare string', 'not a JSON object: expected an EventBridge event, GetFindings output or a finding', (h) => finding(h, 'DROP TABLE findings')),
];

describe('hostile input: each gets its specific error and changes nothing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await hostileHarness();
  }, 60_000);
  afterAll(async () => {
    recordFigures('hostile-input', { cases: CASES.length + 2 });
    await h.close();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before: StateCount = await h.count();
    const answer = await c.send(h);
    expect(answer.status ?? 200).toBe(c.status ?? 200);
    if (typeof c.expect === 'string') expect(answer.text).toContain(c.expect);
    else expect(answer.text).toMatch(c.expect);
    // Never a stack trace, never a live mention or link made from the input.
    expect(answer.text).not.toMatch(/\n\s+at |Error: /);
    expect(answer.text).not.toMatch(/<!(channel|here|everyone)>|<https?:\/\/evil/);
    const after = await h.count();
    // A rejected finding is kept with its reason (never dropped); nothing else changes.
    expect(after).toEqual(before);
  });

  it('the CLI refuses a path as a case id and a shell-looking ARN, with exit codes', async () => {
    const ws = testWorkspace(testConfigYaml({ triageChannel: 'C0TRIAGE' }));
    const report = await runCli(['report', '../../etc/passwd'], ws.env);
    expect([report.code, report.err.trim()]).toEqual([1, 'cordon: `../../etc/passwd` is not a case id (IR-<yyyymmdd>-<id>, e.g. IR-20261122-7Q3F) (INPUT.INVALID)']);
    const contain = await runCli(['contain', 'arn:aws:iam::111111111111:user/x;rm -rf /', '--dry-run'], ws.env);
    expect(contain.code).toBe(1);
    expect(contain.err).toContain('is not something Cordon can contain');
    expect(contain.err).not.toMatch(/\n\s+at /);
  });
});
