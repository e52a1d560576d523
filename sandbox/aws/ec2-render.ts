/** State to the SDK's EC2 output shapes (timestamps become Dates; empty tag sets are left out). */
import type {
  GroupIdentifier,
  IamInstanceProfileAssociation,
  Instance,
  NetworkInterface,
  SecurityGroup,
  Snapshot,
  Volume,
  Vpc,
} from '@aws-sdk/client-ec2';
import {
  Ec2Instance,
  Ec2NetworkInterface,
  Ec2ProfileAssociation,
  Ec2SecurityGroup,
  Ec2Snapshot,
  Ec2State,
  Ec2Volume,
  Ec2Vpc,
  partitionOfRegion,
} from './sim-state';
import { toDate } from './sim-world';
import { tagsOut } from './ec2-common';
import { renderPermissions } from './ec2-rules';

// ---------------------------------------------------------------- renderers

const STATE_CODES: Record<Ec2Instance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function groupIdentifiers(ec2: Ec2State, ids: string[]): GroupIdentifier[] {
  return ids.map((id) => ({ GroupId: id, GroupName: ec2.securityGroups[id]?.groupName }));
}

export function activeAssociation(ec2: Ec2State, instanceId: string): Ec2ProfileAssociation | undefined {
  return Object.values(ec2.iamInstanceProfileAssociations).find((a) => a.instanceId === instanceId && a.state === 'associated');
}

function privateDnsName(ip: string, region: string): string {
  // us-east-1 kept the historical ec2.internal domain; other regions use <region>.compute.internal.
  const domain = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  return `ip-${ip.replace(/\./g, '-')}.${domain}`;
}

export function renderInstance(ec2: Ec2State, inst: Ec2Instance, ownerId: string, region: string): Instance {
  const enis = inst.networkInterfaceIds.map((id) => ec2.networkInterfaces[id]).filter((e): e is Ec2NetworkInterface => e !== undefined);
  const allGroups = [...new Set(enis.flatMap((e) => e.groupIds))];
  const assoc = activeAssociation(ec2, inst.instanceId);
  return {
    InstanceId: inst.instanceId,
    ImageId: inst.imageId,
    InstanceType: inst.instanceType as Instance['InstanceType'],
    State: { Code: STATE_CODES[inst.state], Name: inst.state },
    ...(inst.instanceLifecycle ? { InstanceLifecycle: inst.instanceLifecycle } : {}),
    LaunchTime: toDate(inst.launchTime),
    Placement: { AvailabilityZone: inst.availabilityZone, Tenancy: 'default', GroupName: '' },
    VpcId: inst.vpcId,
    SubnetId: inst.subnetId,
    PrivateIpAddress: inst.privateIpAddress,
    PrivateDnsName: privateDnsName(inst.privateIpAddress, region),
    Architecture: 'x86_64',
    RootDeviceName: inst.rootDeviceName,
    RootDeviceType: 'ebs',
    Hypervisor: 'xen',
    VirtualizationType: 'hvm',
    EbsOptimized: false,
    EnaSupport: true,
    AmiLaunchIndex: 0,
    Monitoring: { State: 'disabled' },
    SourceDestCheck: enis[0]?.sourceDestCheck ?? true,
    SecurityGroups: groupIdentifiers(ec2, allGroups),
    BlockDeviceMappings: inst.blockDevices.map((b) => ({
      DeviceName: b.deviceName,
      Ebs: { VolumeId: b.volumeId, Status: 'attached', AttachTime: toDate(b.attachTime), DeleteOnTermination: b.deleteOnTermination },
    })),
    NetworkInterfaces: enis.map((e) => ({
      NetworkInterfaceId: e.networkInterfaceId,
      SubnetId: e.subnetId,
      VpcId: e.vpcId,
      Description: e.description,
      OwnerId: ownerId,
      Status: e.status,
      MacAddress: e.macAddress,
      PrivateIpAddress: e.privateIpAddress,
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: e.privateIpAddress }],
      Ipv6Addresses: e.ipv6Addresses.map((a) => ({ Ipv6Address: a, IsPrimaryIpv6: false })),
      SourceDestCheck: e.sourceDestCheck,
      InterfaceType: 'interface',
      Groups: groupIdentifiers(ec2, e.groupIds),
      ...(e.attachment
        ? {
            Attachment: {
              AttachmentId: e.attachment.attachmentId,
              DeviceIndex: e.attachment.deviceIndex,
              NetworkCardIndex: 0,
              Status: 'attached' as const,
              AttachTime: toDate(e.attachment.attachTime),
              DeleteOnTermination: e.attachment.deleteOnTermination,
            },
          }
        : {}),
    })),
    ...(assoc ? { IamInstanceProfile: { Arn: assoc.instanceProfileArn, Id: assoc.instanceProfileId } } : {}),
    ...tagsOut(inst.tags),
  };
}

export function renderEni(ec2: Ec2State, e: Ec2NetworkInterface, ownerId: string): NetworkInterface {
  return {
    NetworkInterfaceId: e.networkInterfaceId,
    AvailabilityZone: e.availabilityZone,
    SubnetId: e.subnetId,
    VpcId: e.vpcId,
    Description: e.description,
    OwnerId: ownerId,
    RequesterManaged: false,
    Status: e.status,
    MacAddress: e.macAddress,
    PrivateIpAddress: e.privateIpAddress,
    PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: e.privateIpAddress }],
    Ipv6Addresses: e.ipv6Addresses.map((a) => ({ Ipv6Address: a, IsPrimaryIpv6: false })),
    SourceDestCheck: e.sourceDestCheck,
    InterfaceType: 'interface',
    Groups: groupIdentifiers(ec2, e.groupIds),
    TagSet: e.tags.map((t) => ({ ...t })),
    ...(e.attachment
      ? {
          Attachment: {
            AttachmentId: e.attachment.attachmentId,
            InstanceId: e.attachment.instanceId,
            InstanceOwnerId: ownerId,
            DeviceIndex: e.attachment.deviceIndex,
            NetworkCardIndex: 0,
            Status: 'attached' as const,
            AttachTime: toDate(e.attachment.attachTime),
            DeleteOnTermination: e.attachment.deleteOnTermination,
          },
        }
      : {}),
  };
}

export function renderGroup(sg: Ec2SecurityGroup, region: string): SecurityGroup {
  return {
    GroupId: sg.groupId,
    GroupName: sg.groupName,
    Description: sg.description,
    VpcId: sg.vpcId,
    OwnerId: sg.ownerId,
    SecurityGroupArn: `arn:${partitionOfRegion(region)}:ec2:${region}:${sg.ownerId}:security-group/${sg.groupId}`,
    IpPermissions: renderPermissions(sg.ingress),
    IpPermissionsEgress: renderPermissions(sg.egress),
    ...tagsOut(sg.tags),
  };
}

export function renderVpc(v: Ec2Vpc, ownerId: string): Vpc {
  return {
    VpcId: v.vpcId,
    CidrBlock: v.cidrBlock,
    State: 'available',
    OwnerId: ownerId,
    IsDefault: v.isDefault,
    InstanceTenancy: 'default',
    CidrBlockAssociationSet: [{ AssociationId: v.cidrAssociationId, CidrBlock: v.cidrBlock, CidrBlockState: { State: 'associated' } }],
    ...(v.ipv6CidrBlock
      ? {
          Ipv6CidrBlockAssociationSet: [
            { AssociationId: v.ipv6AssociationId, Ipv6CidrBlock: v.ipv6CidrBlock, Ipv6CidrBlockState: { State: 'associated' }, Ipv6Pool: 'Amazon' },
          ],
        }
      : {}),
    ...tagsOut(v.tags),
  };
}

export function renderVolume(v: Ec2Volume): Volume {
  return {
    VolumeId: v.volumeId,
    Size: v.size,
    VolumeType: v.volumeType as Volume['VolumeType'],
    Encrypted: v.encrypted,
    AvailabilityZone: v.availabilityZone,
    CreateTime: toDate(v.createTime),
    State: v.state,
    MultiAttachEnabled: false,
    Attachments: v.attachments.map((a) => ({
      VolumeId: v.volumeId,
      InstanceId: a.instanceId,
      Device: a.device,
      State: 'attached',
      AttachTime: toDate(a.attachTime),
      DeleteOnTermination: a.deleteOnTermination,
    })),
    ...tagsOut(v.tags),
  };
}

export function renderSnapshot(s: Ec2Snapshot, state: Ec2Snapshot['state'] = s.state): Snapshot {
  return {
    SnapshotId: s.snapshotId,
    VolumeId: s.volumeId,
    VolumeSize: s.volumeSize,
    StartTime: toDate(s.startTime),
    Description: s.description,
    State: state,
    Progress: state === 'completed' ? '100%' : '',
    OwnerId: s.ownerId,
    Encrypted: s.encrypted,
    StorageTier: 'standard',
    ...tagsOut(s.tags),
  };
}

export function renderAssociation(a: Ec2ProfileAssociation): IamInstanceProfileAssociation {
  return {
    AssociationId: a.associationId,
    InstanceId: a.instanceId,
    IamInstanceProfile: { Arn: a.instanceProfileArn, Id: a.instanceProfileId },
    State: a.state,
    Timestamp: toDate(a.timestamp),
  };
}
