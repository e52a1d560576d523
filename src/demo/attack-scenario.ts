/**
 * The game-day attack, as GuardDuty would report it: a stolen CI key turns CloudTrail
 * off, mints itself a new key, launches instances with SSH open to the world, reads
 * customer data from S3, and GuardDuty ties it together in a Critical attack sequence.
 * `npm run demo` replays it against the sandbox; `cordon drill` against a real workspace.
 */

import { DRILL_MARK } from '../domain/cases/drill';
import { toEventBridgeEvent } from '../domain/findings/eventbridge-event';

/** The resources the attack touches. */
export interface ScenarioTargets {
  accountId: string;
  region: string;
  userName: string;
  /** The user's UserId, as GuardDuty reports it (`principalId`); the card checks it against IAM. */
  principalId?: string;
  accessKeyId: string;
  newAccessKeyId: string;
  instanceIds: string[];
  bucket: string;
  attackerIp: string;
  /** First finding's time; the others follow a minute or so apart. */
  startAt: Date;
}

/** A drill marks every title and uses fresh ids so it never merges with real findings. */
export interface ScenarioOptions {
  drill?: boolean;
  /** 32 hex characters per call: GuardDuty's finding id shape. */
  newId: () => string;
}


/** The attack as EventBridge events, in the order GuardDuty raised them. */
export function attackFindings(t: ScenarioTargets, opts: ScenarioOptions): Record<string, unknown>[] {
  const minute = (n: number): string => new Date(t.startAt.getTime() + n * 60_000).toISOString();
  const mark = (title: string): string => (opts.drill ? `${DRILL_MARK} ${title}` : title);
  const remoteIpDetails = {
    ipAddressV4: t.attackerIp,
    organization: { asn: '64511', asnOrg: 'Example Hosting', isp: 'Example Hosting', org: 'Example Hosting' },
    country: { countryName: 'Exampleland' },
  };
  const accessKeyDetails = { accessKeyId: t.accessKeyId, principalId: t.principalId ?? 'AIDAEXAMPLECIDEPLOY01', userName: t.userName, userType: 'IAMUser' };
  const base = (id: string, at: string, type: string, severity: number, title: string, description: string, resource: Record<string, unknown>, action: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    schemaVersion: '2.0',
    accountId: t.accountId,
    region: t.region,
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:${t.region}:${t.accountId}:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${id}`,
    type,
    resource,
    service: {
      serviceName: 'guardduty',
      detectorId: '12abc34d567e8fa901bc2d34e56789f0',
      action,
      resourceRole: 'TARGET',
      eventFirstSeen: at,
      eventLastSeen: at,
      archived: false,
      count: 1,
      ...extra,
    },
    severity,
    createdAt: at,
    updatedAt: at,
    title: mark(title),
    description,
  });
  const api = (name: string, service: string) => ({ actionType: 'AWS_API_CALL', awsApiCallAction: { api: name, serviceName: service, callerType: 'Remote IP', remoteIpDetails } });
  const keyResource = { resourceType: 'AccessKey', accessKeyDetails };

  const trail = base(opts.newId(), minute(0), 'Stealth:IAMUser/CloudTrailLoggingDisabled', 5, 'CloudTrail trail org-trail was disabled', `StopLogging was called on trail org-trail by ${t.userName} from ${t.attackerIp}.`, keyResource, api('StopLogging', 'cloudtrail.amazonaws.com'));
  const newKey = base(opts.newId(), minute(1), 'Persistence:IAMUser/AnomalousBehavior', 5, `User ${t.userName} created access key ${t.newAccessKeyId}`, `CreateAccessKey was called by ${t.userName} in an anomalous way.`, keyResource, api('CreateAccessKey', 'iam.amazonaws.com'));
  // The instances were launched with the stolen key: GuardDuty names the key with the instance.
  const instances = t.instanceIds.map((instanceId, i) =>
    base(
      opts.newId(),
      minute(3 + i),
      'Recon:EC2/PortProbeUnprotectedPort',
      5,
      `Unprotected port 22 on EC2 instance ${instanceId} is being probed`,
      `Instance ${instanceId}, launched by ${t.userName}, allows SSH from 0.0.0.0/0 and is being probed.`,
      {
        resourceType: 'Instance',
        accessKeyDetails,
        instanceDetails: {
          instanceId,
          instanceType: 'c5.4xlarge',
          launchTime: minute(2),
          tags: [{ key: 'Name', value: `build-${i + 1}` }],
          networkInterfaces: [{ networkInterfaceId: `eni-0demo${i}`, publicIp: `203.0.113.${40 + i}`, securityGroups: [{ groupId: `sg-0open22${i}`, groupName: 'launch-wizard-1' }] }],
        },
      },
      { actionType: 'PORT_PROBE', portProbeAction: { blocked: false, portProbeDetails: [{ localPortDetails: { port: 22, portName: 'SSH' }, remoteIpDetails }] } },
    ),
  );
  const exfil = base(
    opts.newId(),
    minute(8),
    'Exfiltration:S3/AnomalousBehavior',
    8,
    `Anomalous reads from S3 bucket ${t.bucket}`,
    `${t.userName} read 14,203 objects from ${t.bucket} from ${t.attackerIp}, which it has never done before.`,
    { resourceType: 'S3Bucket', accessKeyDetails, s3BucketDetails: [{ arn: `arn:aws:s3:::${t.bucket}`, name: t.bucket, type: 'Destination', tags: [] }] },
    api('GetObject', 's3.amazonaws.com'),
  );
  const signals = [trail, newKey, ...instances, exfil];
  const sequence = base(
    opts.newId(),
    minute(9),
    'AttackSequence:IAM/CompromisedCredentials',
    9.5,
    `Potential credential compromise of ${t.userName}`,
    'GuardDuty correlated defense evasion, persistence, discovery and exfiltration by one set of credentials.',
    keyResource,
    api('GetObject', 's3.amazonaws.com'),
    { detection: { sequence: { uid: opts.newId(), description: 'Compromised CI credentials', signals: signals.map((s) => ({ uid: s.id, type: 'FINDING' })) } } },
  );
  return [...signals, sequence].map((d) => toEventBridgeEvent(d));
}
