/**
 * The sandbox builds its errors by hand; these tests hold them against what the real
 * SDK deserializes from a real-shaped error response, so code that branches on
 * `instanceof`, `name`, `Code` or `$fault` behaves the same against both.
 */
import { Readable } from 'node:stream';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetFindingsCommand, GuardDutyClient } from '@aws-sdk/client-guardduty';
import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsSandbox } from '../../../../sandbox/aws';

const ACCT = '999988887777';
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

function cannedResponse(statusCode: number, headers: Record<string, string>, body: string) {
  return {
    handle: () => Promise.resolve({ response: { statusCode, headers, body: Readable.from([Buffer.from(body)]) } }),
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
}

async function caught(p: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err as Record<string, unknown> & Error;
    throw err;
  }
  throw new Error('expected the call to fail');
}

function shape(err: Record<string, unknown> & Error): Record<string, unknown> {
  const metadata = err.$metadata as { httpStatusCode?: number } | undefined;
  return {
    class: err.constructor.name,
    name: err.name,
    fault: err.$fault,
    status: metadata?.httpStatusCode,
    Code: err.Code,
    Type: err.Type,
    Error: err.Error,
    message: err.message,
    retryableOwn: Object.prototype.hasOwnProperty.call(err, '$retryable'),
    responseEnumerable: Object.prototype.propertyIsEnumerable.call(err, '$response'),
  };
}

describe('sandbox errors match the real SDK deserializer', () => {
  const sandbox = new AwsSandbox();

  it('EC2 (ec2 query protocol)', async () => {
    const message = "The instance ID 'i-0123456789abcdef0' does not exist";
    const real = new EC2Client({
      region: 'us-east-1',
      credentials: creds,
      maxAttempts: 1,
      requestHandler: cannedResponse(
        400,
        { 'content-type': 'text/xml;charset=UTF-8' },
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>${message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
      ),
    });
    const expected = await caught(real.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    const actual = await caught(sandbox.ec2(ACCT, 'us-east-1').send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    expect(shape(actual)).toEqual(shape(expected));
  });

  it('IAM (aws query protocol, modeled error)', async () => {
    const real = new IAMClient({
      region: 'us-east-1',
      credentials: creds,
      maxAttempts: 1,
      requestHandler: cannedResponse(
        404,
        { 'content-type': 'text/xml', 'x-amzn-requestid': 'r-1' },
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The user with name nobody cannot be found.</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
      ),
    });
    const expected = await caught(real.send(new GetUserCommand({ UserName: 'nobody' })));
    const actual = await caught(sandbox.iam(ACCT).send(new GetUserCommand({ UserName: 'nobody' })));
    expect(shape(actual)).toEqual(shape(expected));
    expect(actual.xmlns).toBe(expected.xmlns);
  });

  it('STS (aws query protocol, unmodeled error)', async () => {
    const roleArn = `arn:aws:iam::${ACCT}:role/missing`;
    const caller = `arn:aws:sts::${ACCT}:assumed-role/sandbox-admin/sandbox`;
    const msg = `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn} because the role trust policy does not allow it`;
    const real = new STSClient({
      region: 'us-east-1',
      credentials: creds,
      maxAttempts: 1,
      requestHandler: cannedResponse(
        403,
        { 'content-type': 'text/xml', 'x-amzn-requestid': 'r-1' },
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${msg}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
      ),
    });
    const input = { RoleArn: roleArn, RoleSessionName: 'x1' };
    const expected = await caught(real.send(new AssumeRoleCommand(input)));
    const actual = await caught(sandbox.sts(ACCT).send(new AssumeRoleCommand(input)));
    expect(shape(actual)).toEqual(shape(expected));
  });

  it('Lambda (rest-json protocol)', async () => {
    const msg = `Function not found: arn:aws:lambda:us-east-1:${ACCT}:function:ghost`;
    const real = new LambdaClient({
      region: 'us-east-1',
      credentials: creds,
      maxAttempts: 1,
      requestHandler: cannedResponse(
        404,
        { 'content-type': 'application/json', 'x-amzn-requestid': 'r-1', 'x-amzn-errortype': 'ResourceNotFoundException' },
        JSON.stringify({ Type: 'User', Message: msg }),
      ),
    });
    const expected = await caught(real.send(new GetFunctionCommand({ FunctionName: 'ghost' })));
    const actual = await caught(sandbox.lambda(ACCT, 'us-east-1').send(new GetFunctionCommand({ FunctionName: 'ghost' })));
    expect(shape(actual)).toEqual(shape(expected));
  });

  it('GuardDuty (rest-json protocol)', async () => {
    const msg = 'The request is rejected because the input detectorId is not owned by the current account.';
    const real = new GuardDutyClient({
      region: 'us-east-1',
      credentials: creds,
      maxAttempts: 1,
      requestHandler: cannedResponse(
        400,
        { 'content-type': 'application/json', 'x-amzn-requestid': 'r-1', 'x-amzn-errortype': 'BadRequestException' },
        JSON.stringify({ message: msg, __type: 'InvalidInputException' }),
      ),
    });
    const input = { DetectorId: 'd'.repeat(32), FindingIds: ['f'] };
    const expected = await caught(real.send(new GetFindingsCommand(input)));
    const actual = await caught(sandbox.guardduty(ACCT, 'us-east-1').send(new GetFindingsCommand(input)));
    expect(shape(actual)).toEqual(shape(expected));
  });
});
