import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  PutFunctionConcurrencyCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { AwsSandbox } from '../../../../sandbox/aws';

const ACCT = '135791357913';
const REGION = 'ap-northeast-1';

describe('Lambda sandbox', () => {
  it('sets, reads and removes reserved concurrency, by name or ARN', async () => {
    const sandbox = new AwsSandbox();
    const { arn } = sandbox.createFunction({ accountId: ACCT, region: REGION, name: 'exfil', roleArn: `arn:aws:iam::${ACCT}:role/exfil-role` });
    const lambda = sandbox.lambda(ACCT, REGION);

    const fresh = await lambda.send(new GetFunctionCommand({ FunctionName: 'exfil' }));
    expect(fresh.Configuration?.Role).toBe(`arn:aws:iam::${ACCT}:role/exfil-role`);
    expect(fresh.Concurrency).toBeUndefined();
    expect(await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: arn }))).not.toHaveProperty('ReservedConcurrentExecutions');

    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: arn, ReservedConcurrentExecutions: 0 }));
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'exfil' }))).ReservedConcurrentExecutions).toBe(0);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'exfil' }))).Concurrency).toEqual({ ReservedConcurrentExecutions: 0 });

    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'exfil' }));
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'exfil' }))).Concurrency).toBeUndefined();
  });

  it('keeps 100 of the account concurrency unreserved and reports unknown functions', async () => {
    const sandbox = new AwsSandbox();
    sandbox.createFunction({ accountId: ACCT, region: REGION, name: 'big', reservedConcurrency: 850 });
    sandbox.createFunction({ accountId: ACCT, region: REGION, name: 'small' });
    const lambda = sandbox.lambda(ACCT, REGION, { maxAttempts: 1 });
    await expect(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'small', ReservedConcurrentExecutions: 51 }))).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'small', ReservedConcurrentExecutions: 50 }))).resolves.toBeDefined();

    const missing = lambda.send(new GetFunctionCommand({ FunctionName: 'ghost' }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'ghost' }))).rejects.toMatchObject({
      message: `Function not found: arn:aws:lambda:${REGION}:${ACCT}:function:ghost`,
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('lists functions 50 to a page', async () => {
    const sandbox = new AwsSandbox();
    for (let i = 0; i < 60; i++) sandbox.createFunction({ accountId: ACCT, region: REGION, name: `fn-${i}` });
    const lambda = sandbox.lambda(ACCT, REGION);
    const first = await lambda.send(new ListFunctionsCommand({}));
    expect(first.Functions).toHaveLength(50);
    const second = await lambda.send(new ListFunctionsCommand({ Marker: first.NextMarker }));
    expect(second.Functions).toHaveLength(10);
    expect(second.NextMarker).toBeUndefined();
  });

  it('checks Invoke against the IAM action lambda:InvokeFunction, as IAM does', async () => {
    const sb = new AwsSandbox({ seed: 3, iamEnforcement: 'full' });
    const { arn } = sb.createFunction({ accountId: ACCT, region: REGION, name: 'worker' });
    const as = (user: string, action: string) => {
      sb.createUser(ACCT, user, { inlinePolicies: { p: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: arn }] } } });
      return sb.attach(new LambdaClient({ region: REGION, maxAttempts: 1, credentials: sb.createAccessKey(ACCT, user) }));
    };
    const invoke = new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: Buffer.from('{}') });
    expect((await as('right', 'lambda:InvokeFunction').send(invoke)).StatusCode).toBe(202);
    await expect(as('wrong', 'lambda:Invoke').send(invoke)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
