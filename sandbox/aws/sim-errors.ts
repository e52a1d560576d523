import { AutoScalingServiceException } from '@aws-sdk/client-auto-scaling';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  DeleteConflictException,
  EntityAlreadyExistsException,
  IAMServiceException,
  InvalidInputException,
  LimitExceededException,
  MalformedPolicyDocumentException as IamMalformedPolicyDocumentException,
  NoSuchEntityException,
  ServiceFailureException,
  UnmodifiableEntityException,
} from '@aws-sdk/client-iam';
import {
  InvalidParameterValueException,
  LambdaServiceException,
  ProvisionedConcurrencyConfigNotFoundException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceException as LambdaServiceFailureException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import {
  ExpiredTokenException,
  MalformedPolicyDocumentException as StsMalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSServiceException,
} from '@aws-sdk/client-sts';
import {
  AccessDeniedException as GuardDutyAccessDeniedException,
  BadRequestException,
  GuardDutyServiceException,
  InternalServerErrorException,
} from '@aws-sdk/client-guardduty';

/** The AWS services the sandbox answers for. */
export type SimService = 'ec2' | 'iam' | 'lambda' | 'sts' | 'guardduty' | 'autoscaling';

export const SIM_SERVICES: readonly SimService[] = ['ec2', 'iam', 'lambda', 'sts', 'guardduty', 'autoscaling'];

/**
 * What a simulator throws. It carries the wire-level error code (what AWS puts in
 * the response), not the SDK class name: the interceptor turns it into the exact
 * exception the real SDK would have deserialized, so callers cannot tell the two apart.
 */
export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus?: number,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/**
 * A call the sandbox does not model. Deliberately not AWS-shaped (no `$metadata`,
 * no throttling name): the SDK will not retry it and a test fails loudly instead of
 * passing against behaviour nobody simulated.
 */
export class SandboxUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnsupportedError';
  }
}

/** The SDK's own base exception types, one per service. */
export type SdkServiceException =
  | EC2ServiceException
  | IAMServiceException
  | LambdaServiceException
  | STSServiceException
  | GuardDutyServiceException
  | AutoScalingServiceException;

interface SdkExceptionOptions {
  $metadata: SdkErrorMetadata;
  message: string;
}

/** `$metadata` as the SDK's deserializer fills it on an error. */
export interface SdkErrorMetadata {
  httpStatusCode: number;
  requestId: string;
  extendedRequestId: undefined;
  cfId: undefined;
  attempts: number;
  totalRetryDelay: number;
}

interface ErrorSpec {
  status: number;
  fault: 'client' | 'server';
  /** Present when the service models the error: the SDK then throws that class. */
  make?: (o: SdkExceptionOptions) => SdkServiceException;
}

// Statuses are what each service really answers with; they matter because the
// SDK's retry strategy classifies 5xx (and 429) differently from other 4xx.
const EC2_ERRORS: Record<string, ErrorSpec> = {
  RequestLimitExceeded: { status: 503, fault: 'server' },
  DryRunOperation: { status: 412, fault: 'client' },
  UnauthorizedOperation: { status: 403, fault: 'client' },
  AuthFailure: { status: 401, fault: 'client' },
  RequestExpired: { status: 400, fault: 'client' },
  InternalError: { status: 500, fault: 'server' },
  Unavailable: { status: 503, fault: 'server' },
};

const IAM_ERRORS: Record<string, ErrorSpec> = {
  NoSuchEntity: { status: 404, fault: 'client', make: (o) => new NoSuchEntityException(o) },
  LimitExceeded: { status: 409, fault: 'client', make: (o) => new LimitExceededException(o) },
  EntityAlreadyExists: { status: 409, fault: 'client', make: (o) => new EntityAlreadyExistsException(o) },
  DeleteConflict: { status: 409, fault: 'client', make: (o) => new DeleteConflictException(o) },
  MalformedPolicyDocument: { status: 400, fault: 'client', make: (o) => new IamMalformedPolicyDocumentException(o) },
  InvalidInput: { status: 400, fault: 'client', make: (o) => new InvalidInputException(o) },
  UnmodifiableEntity: { status: 400, fault: 'client', make: (o) => new UnmodifiableEntityException(o) },
  ServiceFailure: { status: 500, fault: 'server', make: (o) => new ServiceFailureException(o) },
  Throttling: { status: 400, fault: 'client' },
  AccessDenied: { status: 403, fault: 'client' },
  InvalidClientTokenId: { status: 403, fault: 'client' },
  ExpiredToken: { status: 403, fault: 'client' },
  ValidationError: { status: 400, fault: 'client' },
};

const STS_ERRORS: Record<string, ErrorSpec> = {
  ExpiredTokenException: { status: 400, fault: 'client', make: (o) => new ExpiredTokenException(o) },
  MalformedPolicyDocument: { status: 400, fault: 'client', make: (o) => new StsMalformedPolicyDocumentException(o) },
  PackedPolicyTooLarge: { status: 400, fault: 'client', make: (o) => new PackedPolicyTooLargeException(o) },
  RegionDisabledException: { status: 403, fault: 'client', make: (o) => new RegionDisabledException(o) },
  Throttling: { status: 400, fault: 'client' },
  AccessDenied: { status: 403, fault: 'client' },
  InvalidClientTokenId: { status: 403, fault: 'client' },
  ExpiredToken: { status: 403, fault: 'client' },
  ValidationError: { status: 400, fault: 'client' },
};

const LAMBDA_ERRORS: Record<string, ErrorSpec> = {
  ResourceNotFoundException: { status: 404, fault: 'client', make: (o) => new ResourceNotFoundException(o) },
  TooManyRequestsException: { status: 429, fault: 'client', make: (o) => new TooManyRequestsException(o) },
  InvalidParameterValueException: { status: 400, fault: 'client', make: (o) => new InvalidParameterValueException(o) },
  ProvisionedConcurrencyConfigNotFoundException: { status: 404, fault: 'client', make: (o) => new ProvisionedConcurrencyConfigNotFoundException(o) },
  ResourceConflictException: { status: 409, fault: 'client', make: (o) => new ResourceConflictException(o) },
  ServiceException: { status: 500, fault: 'server', make: (o) => new LambdaServiceFailureException(o) },
  AccessDeniedException: { status: 403, fault: 'client' },
  UnrecognizedClientException: { status: 403, fault: 'client' },
  ExpiredTokenException: { status: 403, fault: 'client' },
};

const GUARDDUTY_ERRORS: Record<string, ErrorSpec> = {
  BadRequestException: { status: 400, fault: 'client', make: (o) => new BadRequestException(o) },
  InternalServerErrorException: { status: 500, fault: 'server', make: (o) => new InternalServerErrorException(o) },
  AccessDeniedException: { status: 403, fault: 'client', make: (o) => new GuardDutyAccessDeniedException(o) },
  TooManyRequestsException: { status: 429, fault: 'client' },
  UnrecognizedClientException: { status: 403, fault: 'client' },
  ExpiredTokenException: { status: 403, fault: 'client' },
};

/** Auto Scaling speaks the same query protocol as IAM; ValidationError carries most refusals. */
const AUTOSCALING_ERRORS: Record<string, ErrorSpec> = {
  ValidationError: { status: 400, fault: 'client' },
  Throttling: { status: 400, fault: 'client' },
  AccessDenied: { status: 403, fault: 'client' },
  InvalidClientTokenId: { status: 403, fault: 'client' },
  ExpiredToken: { status: 403, fault: 'client' },
  InternalFailure: { status: 500, fault: 'server' },
};

const ERROR_SPECS: Record<SimService, Record<string, ErrorSpec>> = {
  ec2: EC2_ERRORS,
  iam: IAM_ERRORS,
  sts: STS_ERRORS,
  lambda: LAMBDA_ERRORS,
  guardduty: GUARDDUTY_ERRORS,
  autoscaling: AUTOSCALING_ERRORS,
};

function baseException(service: SimService, name: string, fault: 'client' | 'server', o: SdkExceptionOptions): SdkServiceException {
  const opts = { name, $fault: fault, ...o };
  switch (service) {
    case 'ec2':
      return new EC2ServiceException(opts);
    case 'iam':
      return new IAMServiceException(opts);
    case 'sts':
      return new STSServiceException(opts);
    case 'lambda':
      return new LambdaServiceException(opts);
    case 'guardduty':
      return new GuardDutyServiceException(opts);
    case 'autoscaling':
      return new AutoScalingServiceException(opts);
  }
}

/** The throttling error code each service really answers with. */
export const THROTTLING_CODES: Readonly<Record<SimService, string>> = {
  ec2: 'RequestLimitExceeded',
  iam: 'Throttling',
  sts: 'Throttling',
  lambda: 'TooManyRequestsException',
  guardduty: 'TooManyRequestsException',
  autoscaling: 'Throttling',
};

/** A throttling error as the given service phrases it. */
export function throttlingError(service: SimService): SimError {
  switch (service) {
    case 'ec2':
      return new SimError('RequestLimitExceeded', 'Request limit exceeded.');
    case 'lambda':
      return new SimError('TooManyRequestsException', 'Rate exceeded', undefined, { Reason: 'CallerRateLimitExceeded', Type: 'User' });
    case 'guardduty':
      return new SimError('TooManyRequestsException', 'Rate exceeded');
    case 'iam':
    case 'sts':
    case 'autoscaling':
      return new SimError('Throttling', 'Rate exceeded');
  }
}

/** Authorization failure in each service's own words and code. */
export function accessDeniedError(service: SimService, callerArn: string, action: string, resource: string, reason: string): SimError {
  const text = `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource} because ${reason}`;
  switch (service) {
    case 'ec2': {
      // EC2 hides the detail in an encoded blob (sts:DecodeAuthorizationMessage); keep it readable here.
      const encoded = Buffer.from(JSON.stringify({ allowed: false, explicitDeny: reason.includes('explicit deny'), action, resource, callerArn })).toString('base64');
      return new SimError('UnauthorizedOperation', `You are not authorized to perform this operation. ${text}. Encoded authorization failure message: ${encoded}`);
    }
    case 'lambda':
    case 'guardduty':
      return new SimError('AccessDeniedException', text);
    case 'iam':
    case 'sts':
    case 'autoscaling':
      return new SimError('AccessDenied', text);
  }
}

/** The credentials were not issued by (or are no longer valid in) the sandbox. */
export function invalidTokenError(service: SimService): SimError {
  switch (service) {
    case 'ec2':
      return new SimError('AuthFailure', 'AWS was not able to validate the provided access credentials');
    case 'lambda':
    case 'guardduty':
      return new SimError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    case 'iam':
    case 'sts':
    case 'autoscaling':
      return new SimError('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }
}

/** Temporary credentials past their expiration. */
export function expiredTokenError(service: SimService): SimError {
  switch (service) {
    case 'ec2':
      return new SimError('RequestExpired', 'Request has expired.');
    case 'lambda':
    case 'guardduty':
      return new SimError('ExpiredTokenException', 'The security token included in the request is expired');
    case 'iam':
    case 'sts':
    case 'autoscaling':
      return new SimError('ExpiredToken', 'The security token included in the request is expired');
  }
}

/** HTTP status the service answers a given error code with (400 when unknown). */
export function statusFor(service: SimService, code: string): number {
  return ERROR_SPECS[service][code]?.status ?? 400;
}

function protocolFields(service: SimService, code: string, message: string, status: number, requestId: string, modeled: boolean): Record<string, unknown> {
  switch (service) {
    case 'ec2':
      // ec2Query errors carry no Type; the SDK copies Code and the raw Error element.
      return { Code: code, Error: { Type: undefined, Code: code, Message: message } };
    case 'iam':
    case 'sts':
    case 'autoscaling': {
      const type = status >= 500 ? 'Receiver' : 'Sender';
      const fields: Record<string, unknown> = { Type: type, Code: code, Error: { Type: type, Code: code, Message: message } };
      if (modeled) {
        fields.RequestId = requestId;
        fields.xmlns = service === 'iam' ? 'https://iam.amazonaws.com/doc/2010-05-08/' : service === 'sts' ? 'https://sts.amazonaws.com/doc/2011-06-15/' : 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
      }
      return fields;
    }
    case 'lambda':
      return { Type: 'User' };
    case 'guardduty':
      return { Type: undefined };
  }
}

/**
 * Builds the exception the real SDK would throw for this error: the modeled class
 * where the service has one (so `instanceof NoSuchEntityException` works), else the
 * service's base exception named after the code, with `$fault`, `$metadata`, the
 * protocol's extra fields and a non-enumerable `$response`, which is what the retry
 * strategy inspects to classify throttling.
 */
export function toSdkException(service: SimService, err: SimError, requestId: string): SdkServiceException {
  const spec = ERROR_SPECS[service][err.code];
  const status = err.httpStatus ?? spec?.status ?? 400;
  const fault = spec?.fault ?? (status >= 500 ? 'server' : 'client');
  const $metadata: SdkErrorMetadata = {
    httpStatusCode: status,
    requestId,
    extendedRequestId: undefined,
    cfId: undefined,
    attempts: 1,
    totalRetryDelay: 0,
  };
  const opts: SdkExceptionOptions = { $metadata, message: err.message };
  const modeled = spec?.make !== undefined;
  const exception = spec?.make ? spec.make(opts) : baseException(service, err.code, fault, opts);
  Object.assign(exception, protocolFields(service, err.code, err.message, status, requestId, modeled), err.extra);
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  if (service === 'lambda' || service === 'guardduty') {
    headers['content-type'] = 'application/json';
    headers['x-amzn-errortype'] = err.code;
  } else {
    headers['content-type'] = 'text/xml';
  }
  Object.defineProperty(exception, '$response', {
    value: { statusCode: status, reason: undefined, headers, body: undefined },
    writable: false,
    enumerable: false,
    configurable: false,
  });
  return exception;
}
