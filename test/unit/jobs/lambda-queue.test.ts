import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { CordonError, ErrorCode } from '../../../src/errors';
import type { Job } from '../../../src/jobs/job-queue';
import { jobFromEvent, LambdaQueue } from '../../../src/jobs/lambda-queue';
import { AwsSandbox } from '../../../sandbox/aws';
import { payloadText } from '../../../sandbox/aws/lambda-sim';
import { REGION, SECURITY_ACCOUNT } from '../../support/aws';

const WORKER = 'cordon-prod-worker';
const ACTION = 'A-20261122020000-k3x9';
const CASE = 'IR-20261122-7QK2';

/** One of every kind of job: a kind added to Job and missing here does not compile. */
const ONE_OF_EACH: { [K in Job['type']]: Extract<Job, { type: K }> } = {
  plan: { type: 'plan', request: { target: 'arn:aws:iam::111111111111:user/victim', requestedBy: 'U0RESP', caseId: CASE, dryRun: false }, teamId: 'T0TEAM', channelId: 'C0CASE' },
  apply: { type: 'apply', actionId: ACTION, by: 'U0APPROVER', target: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0' },
  revert: { type: 'revert', actionId: ACTION, by: 'U0RESP', target: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0' },
  bridge: { type: 'bridge', caseId: CASE },
  'suppression-filters': { type: 'suppression-filters', ruleId: 's-1a2b3c' },
  report: { type: 'report', caseId: CASE, by: 'U0RESP', channelId: 'C0CASE' },
  publish: { type: 'publish' },
  'principal-check': { type: 'principal-check', findingId: 'a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1' },
};

/** Every job the slack and findings functions hand the worker, with each optional field. */
const JOBS: [string, Job][] = [
  ...Object.entries(ONE_OF_EACH),
  [
    "plan from a finding's Contain button (the worker checks the finding's principal again)",
    { type: 'plan', request: { target: 'arn:aws:iam::111111111111:user/victim', requestedBy: 'U0RESP', caseId: CASE, dryRun: false, findingId: 'a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1' }, teamId: 'T0TEAM', channelId: 'C0CASE' },
  ],
  [
    'plan with reason and requestId',
    {
      type: 'plan',
      request: {
        target: 'arn:aws:ec2:us-east-1:111111111111:instance/i-0123456789abcdef0',
        requestedBy: 'U0RESP',
        caseId: CASE,
        dryRun: true,
        reason: 'crypto-mining from build-3',
        requestId: 'R-0f8e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b',
      },
      teamId: 'T0TEAM',
      channelId: 'C0CASE',
    },
  ],
];

/** What the worker function receives: the payload of the one Invoke, parsed as Lambda does. */
function lastInvoke(sb: AwsSandbox): { input: { FunctionName?: string; InvocationType?: string; Payload?: unknown }; event: unknown; outcome: string } {
  const calls = sb.calls({ service: 'lambda', command: 'Invoke' });
  const call = calls[calls.length - 1];
  if (!call) throw new Error('no Invoke reached the sandbox');
  const input = call.input as { FunctionName?: string; InvocationType?: string; Payload?: unknown };
  return { input, event: JSON.parse(payloadText(input.Payload)) as unknown, outcome: call.outcome };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('LambdaQueue on the simulated Lambda', () => {
  let sb: AwsSandbox;
  let client: LambdaClient;

  beforeEach(() => {
    sb = new AwsSandbox({ seed: 7 });
    sb.createFunction({ accountId: SECURITY_ACCOUNT, region: REGION, name: WORKER });
    // As the slack function builds it (src/handlers/runtime.ts).
    client = sb.lambda(SECURITY_ACCOUNT, REGION, { retryMode: 'adaptive', maxAttempts: 3 });
  });

  it.each(JOBS)('hands the %s job to the worker asynchronously, and the worker reads back the same job', async (_name, job) => {
    await new LambdaQueue(client, WORKER).enqueue(job);
    const calls = sb.mutations({ service: 'lambda' });
    expect(calls.map((c) => [c.command, c.accountId, c.region])).toEqual([['Invoke', SECURITY_ACCOUNT, REGION]]);
    const { input, event, outcome } = lastInvoke(sb);
    expect(outcome).toBe('ok');
    expect(input.FunctionName).toBe(WORKER);
    expect(input.InvocationType).toBe('Event');
    expect(jobFromEvent(event)).toEqual(job);
  });

  it('is accepted after a transient Lambda 500 (the SDK retries), once', async () => {
    sb.failCall('Invoke', { code: 'ServiceException', httpStatus: 500, times: 1 });
    await new LambdaQueue(client, WORKER).enqueue({ type: 'publish' });
    expect(sb.calls({ service: 'lambda', command: 'Invoke' }).map((c) => c.outcome)).toEqual(['ServiceException', 'ok']);
  });

  it.each([
    ['the function does not exist', 'cordon-prod-wrker', undefined, 'ResourceNotFoundException'],
    ['Lambda keeps failing', WORKER, { code: 'ServiceException', httpStatus: 500 }, 'ServiceException'],
    ['Lambda keeps throttling', WORKER, { code: 'TooManyRequestsException' }, 'TooManyRequestsException'],
    ['the caller may not invoke it', WORKER, { code: 'AccessDeniedException', message: 'not authorized to perform: lambda:InvokeFunction' }, 'AccessDeniedException'],
  ] as const)('rejects with AWS.FAILED naming the function when %s', async (_name, fn, fault, awsError) => {
    if (fault) sb.failCall('Invoke', fault);
    // One attempt: retries are the SDK's (above), and the throttling backoff would only slow this down.
    const once = sb.lambda(SECURITY_ACCOUNT, REGION, { maxAttempts: 1 });
    const err = await rejection(new LambdaQueue(once, fn).enqueue({ type: 'bridge', caseId: CASE }));
    expect(err).toBeInstanceOf(CordonError);
    expect(err).toMatchObject({ code: ErrorCode.AWS_FAILED, details: { functionName: fn, awsError } });
    expect((err as CordonError).message).toBe(`the worker ${fn} could not be invoked (${awsError})`);
    // Nothing was queued for any worker.
    expect(sb.mutations({ service: 'lambda' })).toEqual([]);
  });

  it.each([
    ['200 (a synchronous answer)', 200, 'status 200'],
    ['no status at all', undefined, 'status none'],
  ] as const)('rejects with AWS.FAILED naming the function when Lambda answers %s', async (_name, status, says) => {
    // The simulated Lambda answers an Event invocation 202, as AWS does; rewrite its answer.
    client.middlewareStack.add(
      (next) => async (args) => {
        const r = await next(args);
        return { ...r, output: { ...(r.output as InvokeCommandOutput), StatusCode: status } };
      },
      { step: 'initialize', name: 'rewriteStatus' },
    );
    const err = await rejection(new LambdaQueue(client, WORKER).enqueue({ type: 'publish' }));
    expect(err).toBeInstanceOf(CordonError);
    expect(err).toMatchObject({ code: ErrorCode.AWS_FAILED, message: `the worker ${WORKER} did not accept the job (${says})` });
    expect(lastInvoke(sb).outcome).toBe('ok');
  });

  it('the simulated Lambda answers Event 202, DryRun 204, and refuses a payload that is not JSON', async () => {
    const event = await client.send(new InvokeCommand({ FunctionName: WORKER, InvocationType: 'Event', Payload: Buffer.from('{"a":1}') }));
    expect(event.StatusCode).toBe(202);
    const dry = await client.send(new InvokeCommand({ FunctionName: WORKER, InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    await expect(client.send(new InvokeCommand({ FunctionName: WORKER, InvocationType: 'Event', Payload: 'not json' }))).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
    });
    await expect(client.send(new InvokeCommand({ FunctionName: `arn:aws:lambda:${REGION}:${SECURITY_ACCOUNT}:function:${WORKER}`, InvocationType: 'Event' }))).resolves.toMatchObject({
      StatusCode: 202,
    });
  });
});

describe('jobFromEvent', () => {
  const plan = JOBS.find(([name]) => name === 'plan with reason and requestId')![1] as Extract<Job, { type: 'plan' }>;

  it.each(JOBS)('reads back the %s job from its JSON event', (_name, job) => {
    expect(jobFromEvent(JSON.parse(JSON.stringify({ cordonJob: job })))).toEqual(job);
  });

  it.each([
    ['no event', undefined],
    ['null', null],
    ['a string', '{"cordonJob":{"type":"publish"}}'],
    ['the job without its envelope', { type: 'publish' }],
    ['another event (EventBridge)', { source: 'aws.guardduty', 'detail-type': 'GuardDuty Finding', detail: {} }],
    ['an unknown job type', { cordonJob: { type: 'delete-everything' } }],
    ['a job type of the wrong kind', { cordonJob: { type: 1 } }],
    ['no type', { cordonJob: { actionId: ACTION, by: 'U0RESP' } }],
    ['an action id that is not one', { cordonJob: { type: 'apply', actionId: 'A-1', by: 'U0RESP' } }],
    ['an action id with a path in it', { cordonJob: { type: 'revert', actionId: `${ACTION}/../x`, by: 'U0RESP' } }],
    ['an apply without who', { cordonJob: { type: 'apply', actionId: ACTION } }],
    ['an apply by nobody', { cordonJob: { type: 'apply', actionId: ACTION, by: '' } }],
    ['a bridge without its case', { cordonJob: { type: 'bridge' } }],
    ['a report without its channel', { cordonJob: { type: 'report', caseId: CASE, by: 'U0RESP' } }],
    ['a report for a case id that is not one', { cordonJob: { type: 'report', caseId: '../../etc', by: 'U0RESP', channelId: 'C0CASE' } }],
    ['a plan without its request', { cordonJob: { type: 'plan', teamId: 'T0TEAM', channelId: 'C0CASE' } }],
    ['a plan without its team', { cordonJob: { ...plan, teamId: undefined } }],
    ['a plan whose request lacks dryRun', { cordonJob: { ...plan, request: { ...plan.request, dryRun: undefined } } }],
    ['a plan whose dryRun is a string', { cordonJob: { ...plan, request: { ...plan.request, dryRun: 'false' } } }],
    ['a plan with a bad request id', { cordonJob: { ...plan, request: { ...plan.request, requestId: 'R-1' } } }],
    ['a plan with a 501-character reason', { cordonJob: { ...plan, request: { ...plan.request, reason: 'x'.repeat(501) } } }],
    ['the envelope twice', { cordonJob: { cordonJob: { type: 'publish' } } }],
    ['the job one level down', { cordonJob: { job: { type: 'bridge', caseId: CASE } } }],
    ['a field nested in an object', { cordonJob: { type: 'apply', actionId: { id: ACTION }, by: 'U0RESP' } }],
    ['the request flattened into the plan', { cordonJob: { type: 'plan', ...plan.request, teamId: 'T0TEAM', channelId: 'C0CASE' } }],
    ['the job in an array', { cordonJob: [{ type: 'publish' }] }],
  ])('returns undefined for %s', (_name, event) => {
    expect(jobFromEvent(event)).toBeUndefined();
  });

  it('drops an empty reason rather than passing it on', () => {
    const { reason: _r, requestId: _q, ...request } = plan.request;
    expect(jobFromEvent({ cordonJob: { ...plan, request: { ...request, reason: '' } } })).toEqual({ ...plan, request });
  });
});
