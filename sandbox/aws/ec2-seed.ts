/** Test seeding for EC2: VPCs, security groups and instances with interfaces and volumes. */
import type { IpPermission } from '@aws-sdk/client-ec2';
import {
  AccountState,
  Ec2Instance,
  Ec2NetworkInterface,
  Ec2ProfileAssociation,
  Ec2SecurityGroup,
  Ec2Subnet,
  Ec2Volume,
  Ec2Vpc,
  KeyValueTag,
  regionOf,
} from './sim-state';
import { SandboxWorld } from './sim-world';
import { defaultEgress, expandPermissions } from './ec2-rules';

// ---------------------------------------------------------------- seeding

/** Options for seeding a VPC. */
export interface SeedVpcOptions {
  cidr?: string;
  ipv6?: boolean;
  isDefault?: boolean;
  tags?: Record<string, string>;
}

/** Ids of a seeded VPC. */
export interface SeededVpc {
  vpcId: string;
  subnetId: string;
  defaultGroupId: string;
  ipv6CidrBlock?: string;
}

function toTagList(tags: Record<string, string> | undefined): KeyValueTag[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

function macAddress(world: SandboxWorld): string {
  const h = world.ids.hex(10);
  return `02:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}`;
}

/** Creates a VPC with one subnet and its `default` security group, as the console does. */
export function seedVpc(world: SandboxWorld, account: AccountState, region: string, opts: SeedVpcOptions = {}): SeededVpc {
  const ec2 = regionOf(account, region).ec2;
  const n = Object.keys(ec2.vpcs).length;
  const cidr = opts.cidr ?? `10.${n % 256}.0.0/16`;
  const vpc: Ec2Vpc = {
    vpcId: world.ids.ec2('vpc'),
    cidrBlock: cidr,
    cidrAssociationId: world.ids.ec2('vpc-cidr-assoc'),
    isDefault: opts.isDefault ?? false,
    tags: toTagList(opts.tags),
  };
  let ipv6Prefix: string | undefined;
  if (opts.ipv6) {
    // Amazon-provided /56 per VPC, /64 per subnet.
    ipv6Prefix = `2600:1f18:${world.ids.hex(4)}:${world.ids.hex(2)}`;
    vpc.ipv6CidrBlock = `${ipv6Prefix}00::/56`;
    vpc.ipv6AssociationId = world.ids.ec2('vpc-cidr-assoc');
  }
  ec2.vpcs[vpc.vpcId] = vpc;
  const octets = cidr.split('/')[0]?.split('.') ?? ['10', '0', '0', '0'];
  const subnet: Ec2Subnet = {
    subnetId: world.ids.ec2('subnet'),
    vpcId: vpc.vpcId,
    cidrBlock: `${octets[0] ?? '10'}.${octets[1] ?? '0'}.1.0/24`,
    availabilityZone: `${region}a`,
    nextHost: 10,
    tags: [],
  };
  if (ipv6Prefix) subnet.ipv6CidrBlock = `${ipv6Prefix}01::/64`;
  ec2.subnets[subnet.subnetId] = subnet;
  const defaultGroupId = world.ids.ec2('sg');
  ec2.securityGroups[defaultGroupId] = {
    groupId: defaultGroupId,
    groupName: 'default',
    description: 'default VPC security group',
    vpcId: vpc.vpcId,
    ownerId: account.accountId,
    ingress: [{ ruleId: world.ids.ec2('sgr'), protocol: '-1', referencedGroupId: defaultGroupId, referencedUserId: account.accountId }],
    egress: defaultEgress(world, vpc),
    tags: [],
  };
  return { vpcId: vpc.vpcId, subnetId: subnet.subnetId, defaultGroupId, ...(vpc.ipv6CidrBlock ? { ipv6CidrBlock: vpc.ipv6CidrBlock } : {}) };
}

/** Creates a security group with the AWS default egress and the given ingress rules. */
export function seedSecurityGroup(
  world: SandboxWorld,
  account: AccountState,
  region: string,
  opts: { vpcId: string; name: string; description?: string; ingress?: IpPermission[]; tags?: Record<string, string> },
): string {
  const ec2 = regionOf(account, region).ec2;
  const vpc = ec2.vpcs[opts.vpcId];
  if (!vpc) throw new Error(`AwsSandbox: no VPC ${opts.vpcId} in ${account.accountId}/${region}`);
  const sg: Ec2SecurityGroup = {
    groupId: world.ids.ec2('sg'),
    groupName: opts.name,
    description: opts.description ?? opts.name,
    vpcId: vpc.vpcId,
    ownerId: account.accountId,
    ingress: [],
    egress: defaultEgress(world, vpc),
    tags: toTagList(opts.tags),
  };
  ec2.securityGroups[sg.groupId] = sg;
  sg.ingress = expandPermissions(ec2, opts.ingress ?? [], account.accountId).map((r) => ({ ruleId: world.ids.ec2('sgr'), ...r }));
  return sg.groupId;
}

/** Options for seeding an instance. */
export interface SeedInstanceOptions {
  /** Number of network interfaces (default 1). Each gets its own security group unless `groupIds` says otherwise. */
  enis?: number;
  /** Put the instance in a new IPv6-enabled VPC (ignored when `vpcId` is given). */
  ipv6?: boolean;
  /** Number of EBS volumes, the root volume included (default 1). */
  volumes?: number;
  vpcId?: string;
  subnetId?: string;
  /** Security groups per interface, by device index. */
  groupIds?: string[][];
  instanceType?: string;
  tags?: Record<string, string>;
  disableApiTermination?: boolean;
  instanceInitiatedShutdownBehavior?: 'stop' | 'terminate';
  /** IAM instance profile to associate, already existing in the account's IAM state. */
  instanceProfile?: { arn: string; id: string };
  /** A Spot Instance (InstanceLifecycle `spot`): EC2 refuses termination protection for it. */
  spot?: boolean;
  /**
   * VPC of each interface, by device index (default: the instance's VPC). A multi-VPC
   * instance: "attach ENIs from different VPCs to an instance, as long as they are in the
   * same Availability Zone" (https://aws.amazon.com/about-aws/whats-new/2023/10/multi-vpc-eni-attachments/,
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/scenarios-enis.html).
   */
  interfaceVpcIds?: (string | undefined)[];
}

/** Ids of a seeded instance and everything created for it. */
export interface SeededInstance {
  instanceId: string;
  vpcId: string;
  subnetId: string;
  networkInterfaceIds: string[];
  /** Security groups per interface, by device index. */
  securityGroupIds: string[][];
  volumeIds: string[];
  associationId?: string;
  instanceProfileArn?: string;
}

/** Creates a running instance with its network interfaces, security groups and volumes. */
export function seedInstance(world: SandboxWorld, account: AccountState, region: string, opts: SeedInstanceOptions = {}): SeededInstance {
  const ec2 = regionOf(account, region).ec2;
  const now = world.now();
  let vpcId = opts.vpcId;
  let subnetId = opts.subnetId;
  if (!vpcId) {
    const vpc = seedVpc(world, account, region, { ipv6: opts.ipv6 ?? false });
    vpcId = vpc.vpcId;
    subnetId = subnetId ?? vpc.subnetId;
  }
  const vpc = ec2.vpcs[vpcId];
  if (!vpc) throw new Error(`AwsSandbox: no VPC ${vpcId} in ${account.accountId}/${region}`);
  const subnet = subnetId ? ec2.subnets[subnetId] : Object.values(ec2.subnets).find((s) => s.vpcId === vpcId);
  if (!subnet) throw new Error(`AwsSandbox: no subnet in ${vpcId}`);
  const instanceId = world.ids.ec2('i');
  const eniCount = Math.max(1, opts.enis ?? 1);
  const securityGroupIds: string[][] = [];
  const networkInterfaceIds: string[] = [];
  const prefix = subnet.cidrBlock.split('.').slice(0, 3).join('.');
  let primaryIp = '';
  for (let index = 0; index < eniCount; index++) {
    const eniVpcId = opts.interfaceVpcIds?.[index] ?? vpcId;
    const eniSubnet: Ec2Subnet | undefined = eniVpcId === vpcId ? subnet : Object.values(ec2.subnets).find((s) => s.vpcId === eniVpcId);
    if (!eniSubnet) throw new Error(`AwsSandbox: no subnet in ${eniVpcId}`);
    // Multi-VPC attachments stay in one Availability Zone: EC2 refuses anything else.
    if (eniSubnet.availabilityZone !== subnet.availabilityZone) throw new Error(`AwsSandbox: interface ${index} would be in ${eniSubnet.availabilityZone}, the instance is in ${subnet.availabilityZone}`);
    const groups =
      opts.groupIds?.[index] ??
      [
        seedSecurityGroup(world, account, region, {
          vpcId: eniVpcId,
          name: `app-${instanceId}-${index}`,
          description: `application traffic, interface ${index}`,
          // SSH from inside only, HTTPS from anywhere: a typical web tier. An instance whose
          // SSH is open to the world is seeded with groupIds of its own (Revert keeps it isolated).
          ingress: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }], ...(vpc.ipv6CidrBlock ? { Ipv6Ranges: [{ CidrIpv6: '::/0' }] } : {}) },
          ],
        }),
      ];
    const ip = eniSubnet === subnet ? `${prefix}.${subnet.nextHost++}` : `${eniSubnet.cidrBlock.split('.').slice(0, 3).join('.')}.${eniSubnet.nextHost++}`;
    if (index === 0) primaryIp = ip;
    const eni: Ec2NetworkInterface = {
      networkInterfaceId: world.ids.ec2('eni'),
      subnetId: eniSubnet.subnetId,
      vpcId: eniVpcId,
      availabilityZone: eniSubnet.availabilityZone,
      description: index === 0 ? 'Primary network interface' : `secondary interface ${index}`,
      groupIds: [...groups],
      privateIpAddress: ip,
      ipv6Addresses: eniSubnet.ipv6CidrBlock ? [eniSubnet.ipv6CidrBlock.replace('::/64', `:${world.ids.hex(4)}:${world.ids.hex(4)}:${world.ids.hex(4)}:${world.ids.hex(4)}`)] : [],
      macAddress: macAddress(world),
      sourceDestCheck: true,
      status: 'in-use',
      attachment: { attachmentId: world.ids.ec2('eni-attach'), instanceId, deviceIndex: index, attachTime: now, deleteOnTermination: index === 0 },
      tags: [],
    };
    ec2.networkInterfaces[eni.networkInterfaceId] = eni;
    networkInterfaceIds.push(eni.networkInterfaceId);
    securityGroupIds.push([...groups]);
  }
  const volumeIds: string[] = [];
  const blockDevices: Ec2Instance['blockDevices'] = [];
  const volumeCount = Math.max(0, opts.volumes ?? 1);
  for (let v = 0; v < volumeCount; v++) {
    const device = v === 0 ? '/dev/xvda' : `/dev/sd${String.fromCharCode('f'.charCodeAt(0) + v - 1)}`;
    const vol: Ec2Volume = {
      volumeId: world.ids.ec2('vol'),
      size: v === 0 ? 8 : 100,
      volumeType: 'gp3',
      encrypted: true,
      availabilityZone: subnet.availabilityZone,
      createTime: now,
      state: 'in-use',
      attachments: [{ instanceId, device, attachTime: now, deleteOnTermination: v === 0 }],
      tags: [],
    };
    ec2.volumes[vol.volumeId] = vol;
    volumeIds.push(vol.volumeId);
    blockDevices.push({ deviceName: device, volumeId: vol.volumeId, attachTime: now, deleteOnTermination: v === 0 });
  }
  ec2.instances[instanceId] = {
    instanceId,
    reservationId: world.ids.ec2('r'),
    instanceType: opts.instanceType ?? 't3.micro',
    imageId: 'ami-0abcdef1234567890',
    state: 'running',
    launchTime: now,
    availabilityZone: subnet.availabilityZone,
    vpcId,
    subnetId: subnet.subnetId,
    privateIpAddress: primaryIp,
    networkInterfaceIds,
    blockDevices,
    rootDeviceName: '/dev/xvda',
    disableApiTermination: opts.disableApiTermination ?? false,
    disableApiStop: false,
    instanceInitiatedShutdownBehavior: opts.instanceInitiatedShutdownBehavior ?? 'stop',
    ...(opts.spot ? { instanceLifecycle: 'spot' as const } : {}),
    tags: toTagList(opts.tags),
  };
  const result: SeededInstance = { instanceId, vpcId, subnetId: subnet.subnetId, networkInterfaceIds, securityGroupIds, volumeIds };
  if (opts.instanceProfile) {
    const assoc: Ec2ProfileAssociation = {
      associationId: world.ids.ec2('iip-assoc'),
      instanceId,
      instanceProfileArn: opts.instanceProfile.arn,
      instanceProfileId: opts.instanceProfile.id,
      state: 'associated',
      timestamp: now,
    };
    ec2.iamInstanceProfileAssociations[assoc.associationId] = assoc;
    result.associationId = assoc.associationId;
    result.instanceProfileArn = assoc.instanceProfileArn;
  }
  return result;
}

/**
 * Attaches a new interface (with its own group) to a running instance, as someone with
 * AttachNetworkInterface would: "You can attach a network interface to an instance when
 * it's running (hot attach)" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/scenarios-enis.html).
 * The interface may come from another VPC, in the same Availability Zone only.
 */
export function seedAttachInterface(world: SandboxWorld, account: AccountState, region: string, opts: { instanceId: string; vpcId?: string }): { networkInterfaceId: string; groupId: string } {
  const ec2 = regionOf(account, region).ec2;
  const inst = ec2.instances[opts.instanceId];
  if (!inst) throw new Error(`AwsSandbox: no instance ${opts.instanceId}`);
  const vpcId = opts.vpcId ?? inst.vpcId;
  const subnet = Object.values(ec2.subnets).find((s) => s.vpcId === vpcId && s.availabilityZone === inst.availabilityZone);
  if (!subnet) throw new Error(`AwsSandbox: no subnet of ${vpcId} in ${inst.availabilityZone}: EC2 attaches interfaces in the instance's Availability Zone only`);
  const groupId = seedSecurityGroup(world, account, region, {
    vpcId,
    name: `late-${opts.instanceId}-${inst.networkInterfaceIds.length}`,
    ingress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
  });
  const eni: Ec2NetworkInterface = {
    networkInterfaceId: world.ids.ec2('eni'),
    subnetId: subnet.subnetId,
    vpcId,
    availabilityZone: subnet.availabilityZone,
    description: 'attached later',
    groupIds: [groupId],
    privateIpAddress: `${subnet.cidrBlock.split('.').slice(0, 3).join('.')}.${subnet.nextHost++}`,
    ipv6Addresses: [],
    macAddress: macAddress(world),
    sourceDestCheck: true,
    status: 'in-use',
    attachment: { attachmentId: world.ids.ec2('eni-attach'), instanceId: inst.instanceId, deviceIndex: inst.networkInterfaceIds.length, attachTime: world.now(), deleteOnTermination: false },
    tags: [],
  };
  ec2.networkInterfaces[eni.networkInterfaceId] = eni;
  inst.networkInterfaceIds.push(eni.networkInterfaceId);
  return { networkInterfaceId: eni.networkInterfaceId, groupId };
}
