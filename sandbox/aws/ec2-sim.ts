/** EC2 command handlers, typed by the SDK's own command inputs and outputs. */
import type {
  AssociateIamInstanceProfileCommandInput,
  AssociateIamInstanceProfileCommandOutput,
  AuthorizeSecurityGroupEgressCommandInput,
  AuthorizeSecurityGroupEgressCommandOutput,
  AuthorizeSecurityGroupIngressCommandInput,
  AuthorizeSecurityGroupIngressCommandOutput,
  CreateSecurityGroupCommandInput,
  CreateSecurityGroupCommandOutput,
  CreateSnapshotCommandInput,
  CreateSnapshotCommandOutput,
  CreateSnapshotsCommandInput,
  CreateSnapshotsCommandOutput,
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  DeleteSecurityGroupCommandInput,
  DeleteSecurityGroupCommandOutput,
  DeleteTagsCommandInput,
  DeleteTagsCommandOutput,
  DescribeIamInstanceProfileAssociationsCommandInput,
  DescribeIamInstanceProfileAssociationsCommandOutput,
  DescribeInstanceAttributeCommandInput,
  DescribeInstanceAttributeCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  DescribeSecurityGroupRulesCommandInput,
  DescribeSecurityGroupRulesCommandOutput,
  DescribeSecurityGroupsCommandInput,
  DescribeSecurityGroupsCommandOutput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  DescribeSubnetsCommandInput,
  DescribeSubnetsCommandOutput,
  DescribeTagsCommandInput,
  DescribeTagsCommandOutput,
  DescribeVolumesCommandInput,
  DescribeVolumesCommandOutput,
  DescribeVpcsCommandInput,
  DescribeVpcsCommandOutput,
  DisassociateIamInstanceProfileCommandInput,
  DisassociateIamInstanceProfileCommandOutput,
  Instance,
  ModifyInstanceAttributeCommandInput,
  ModifyInstanceAttributeCommandOutput,
  ModifyNetworkInterfaceAttributeCommandInput,
  ModifyNetworkInterfaceAttributeCommandOutput,
  ReplaceIamInstanceProfileAssociationCommandInput,
  ReplaceIamInstanceProfileAssociationCommandOutput,
  RevokeSecurityGroupEgressCommandInput,
  RevokeSecurityGroupEgressCommandOutput,
  RevokeSecurityGroupIngressCommandInput,
  RevokeSecurityGroupIngressCommandOutput,
  SecurityGroupRule,
  TagDescription,
} from '@aws-sdk/client-ec2';
import { SandboxUnsupportedError, SimError } from './sim-errors';
import {
  Ec2Instance,
  Ec2NetworkInterface,
  Ec2ProfileAssociation,
  Ec2SecurityGroup,
  Ec2Snapshot,
  Ec2State,
  Ec2Subnet,
  Ec2Volume,
  Ec2Vpc,
  KeyValueTag,
} from './sim-state';
import {
  AuthzTarget,
  CallContext,
  listField,
  SimHandler,
  strField,
  toDate,
} from './sim-world';
import {
  applyFilters,
  ec2Of,
  visibleEc2,
  FilterExtractors,
  filterValueMatches,
  KINDS,
  lookup,
  lookupAll,
  mergeTags,
  Out,
  page,
  resourceByTagId,
  tagsFromSpecs,
  tagsOut,
  validateTags,
} from './ec2-common';
import {
  activeAssociation,
  groupIdentifiers,
  renderAssociation,
  renderEni,
  renderGroup,
  renderInstance,
  renderSnapshot,
  renderVolume,
  renderVpc,
} from './ec2-render';
import {
  authorize,
  defaultEgress,
  expandPermissions,
  groupByIdOrName,
  permissionsOf,
  renderRule,
  revoke,
  specsToPermissions,
} from './ec2-rules';

// ---------------------------------------------------------------- mutations shared by commands

const GROUPS_PER_INTERFACE = 5;

function setInterfaceGroups(ec2: Ec2State, eni: Ec2NetworkInterface, groupIds: string[]): void {
  if (groupIds.length === 0) throw new SimError('InvalidParameterValue', 'You must specify at least one security group');
  const unique = [...new Set(groupIds)];
  if (unique.length > GROUPS_PER_INTERFACE) {
    throw new SimError('SecurityGroupsPerInterfaceLimitExceeded', 'The maximum number of security groups per interface has been reached.');
  }
  const groups = lookupAll(ec2.securityGroups, KINDS.group, unique);
  const foreign = groups.find((g) => g.vpcId !== eni.vpcId);
  if (foreign) throw new SimError('InvalidGroup.NotFound', `The security group '${foreign.groupId}' does not exist in VPC '${eni.vpcId}'`);
  eni.groupIds = unique;
}

function makeSnapshot(ctx: CallContext, vol: Ec2Volume, description: string, tags: KeyValueTag[]): Ec2Snapshot {
  const snap: Ec2Snapshot = {
    snapshotId: ctx.world.ids.ec2('snap'),
    volumeId: vol.volumeId,
    volumeSize: vol.size,
    startTime: ctx.now,
    description,
    // Stored as completed: the sandbox has no data to copy, so the snapshot is done
    // as soon as it is asked for; the create call still answers `pending` like EC2.
    state: 'completed',
    ownerId: ctx.account.accountId,
    encrypted: vol.encrypted,
    tags,
  };
  ec2Of(ctx).snapshots[snap.snapshotId] = snap;
  return snap;
}

function profileByArnOrName(ctx: CallContext, spec: { Arn?: string; Name?: string } | undefined): { arn: string; id: string } {
  const iam = ctx.account.iam;
  const profile = Object.values(iam.instanceProfiles).find((p) => (spec?.Arn ? p.arn === spec.Arn : p.instanceProfileName === spec?.Name));
  if (!profile) {
    const which = spec?.Arn ? `arn` : 'name';
    throw new SimError('InvalidParameterValue', `Value (${spec?.Arn ?? spec?.Name ?? ''}) for parameter iamInstanceProfile.${which} is invalid. Invalid IAM Instance Profile ${which}`);
  }
  return { arn: profile.arn, id: profile.instanceProfileId };
}

// ---------------------------------------------------------------- handlers

function instanceFilters(ec2: Ec2State): FilterExtractors<Ec2Instance> {
  const enis = (i: Ec2Instance): Ec2NetworkInterface[] =>
    i.networkInterfaceIds.map((id) => ec2.networkInterfaces[id]).filter((e): e is Ec2NetworkInterface => e !== undefined);
  return {
    'instance-id': (i) => [i.instanceId],
    'instance-state-name': (i) => [i.state],
    'instance-type': (i) => [i.instanceType],
    'instance-lifecycle': (i) => [i.instanceLifecycle],
    'vpc-id': (i) => [i.vpcId],
    'subnet-id': (i) => [i.subnetId],
    'availability-zone': (i) => [i.availabilityZone],
    'private-ip-address': (i) => [i.privateIpAddress],
    'network-interface.network-interface-id': (i) => i.networkInterfaceIds,
    'instance.group-id': (i) => enis(i).flatMap((e) => e.groupIds),
    'iam-instance-profile.arn': (i) => [activeAssociation(ec2, i.instanceId)?.instanceProfileArn],
    'block-device-mapping.volume-id': (i) => i.blockDevices.map((b) => b.volumeId),
  };
}

const DescribeInstances = (input: DescribeInstancesCommandInput, ctx: CallContext): Out<DescribeInstancesCommandOutput> => {
  const ec2 = ec2Of(ctx);
  if (input.InstanceIds?.length && input.MaxResults !== undefined) {
    throw new SimError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  let items = input.InstanceIds?.length ? lookupAll(ec2.instances, KINDS.instance, input.InstanceIds) : Object.values(ec2.instances);
  items = applyFilters(items, input.Filters, instanceFilters(ec2));
  const paged = page(items, input.MaxResults, input.NextToken, 'DescribeInstances');
  const reservations = new Map<string, Instance[]>();
  for (const inst of paged.items) {
    const list = reservations.get(inst.reservationId) ?? [];
    list.push(renderInstance(ec2, inst, ctx.account.accountId, ctx.region));
    reservations.set(inst.reservationId, list);
  }
  return {
    Reservations: [...reservations.entries()].map(([id, instances]) => ({ ReservationId: id, OwnerId: ctx.account.accountId, Groups: [], Instances: instances })),
    ...(paged.nextToken ? { NextToken: paged.nextToken } : {}),
  };
};

const DescribeNetworkInterfaces = (input: DescribeNetworkInterfacesCommandInput, ctx: CallContext): Out<DescribeNetworkInterfacesCommandOutput> => {
  const ec2 = ec2Of(ctx);
  let items = input.NetworkInterfaceIds?.length ? lookupAll(ec2.networkInterfaces, KINDS.eni, input.NetworkInterfaceIds) : Object.values(ec2.networkInterfaces);
  items = applyFilters(items, input.Filters, {
    'network-interface-id': (e) => [e.networkInterfaceId],
    'attachment.instance-id': (e) => [e.attachment?.instanceId],
    'attachment.attachment-id': (e) => [e.attachment?.attachmentId],
    'vpc-id': (e) => [e.vpcId],
    'subnet-id': (e) => [e.subnetId],
    'group-id': (e) => e.groupIds,
    status: (e) => [e.status],
    'private-ip-address': (e) => [e.privateIpAddress],
  });
  const paged = page(items, input.MaxResults, input.NextToken, 'DescribeNetworkInterfaces');
  return { NetworkInterfaces: paged.items.map((e) => renderEni(ec2, e, ctx.account.accountId)), ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
};

const DescribeSecurityGroups = (input: DescribeSecurityGroupsCommandInput, ctx: CallContext): Out<DescribeSecurityGroupsCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  let items: Ec2SecurityGroup[];
  if (input.GroupIds?.length) items = lookupAll(ec2.securityGroups, KINDS.group, input.GroupIds);
  else if (input.GroupNames?.length) items = input.GroupNames.map((n) => groupByIdOrName(ec2, undefined, n));
  else items = Object.values(ec2.securityGroups);
  items = applyFilters(items, input.Filters, {
    'group-id': (g) => [g.groupId],
    'group-name': (g) => [g.groupName],
    'vpc-id': (g) => [g.vpcId],
    description: (g) => [g.description],
    'owner-id': (g) => [g.ownerId],
  });
  const paged = page(items, input.MaxResults, input.NextToken, 'DescribeSecurityGroups');
  return { SecurityGroups: paged.items.map((g) => renderGroup(g, ctx.region)), ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
};

const DescribeSecurityGroupRules = (input: DescribeSecurityGroupRulesCommandInput, ctx: CallContext): Out<DescribeSecurityGroupRulesCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  let rules: SecurityGroupRule[] = Object.values(ec2.securityGroups).flatMap((g) => [
    ...g.ingress.map((r) => renderRule(g, r, false, ctx.region)),
    ...g.egress.map((r) => renderRule(g, r, true, ctx.region)),
  ]);
  if (input.SecurityGroupRuleIds?.length) {
    const wanted = new Set(input.SecurityGroupRuleIds);
    const missing = [...wanted].filter((id) => !rules.some((r) => r.SecurityGroupRuleId === id));
    if (missing.length) throw new SimError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${missing.join(', ')}' does not exist`);
    rules = rules.filter((r) => wanted.has(r.SecurityGroupRuleId ?? ''));
  }
  for (const f of input.Filters ?? []) {
    const values = f.Values ?? [];
    if (f.Name === 'group-id') rules = rules.filter((r) => values.includes(r.GroupId ?? ''));
    else if (f.Name === 'security-group-rule-id') rules = rules.filter((r) => values.includes(r.SecurityGroupRuleId ?? ''));
    else throw new SimError('InvalidParameterValue', `The filter '${f.Name ?? ''}' is invalid`);
  }
  return { SecurityGroupRules: rules };
};

const DescribeVpcs = (input: DescribeVpcsCommandInput, ctx: CallContext): Out<DescribeVpcsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  let items = input.VpcIds?.length ? lookupAll(ec2.vpcs, KINDS.vpc, input.VpcIds) : Object.values(ec2.vpcs);
  items = applyFilters(items, input.Filters, {
    'vpc-id': (v) => [v.vpcId],
    'is-default': (v) => [v.isDefault],
    cidr: (v) => [v.cidrBlock],
    'cidr-block-association.cidr-block': (v) => [v.cidrBlock],
    'ipv6-cidr-block-association.ipv6-cidr-block': (v) => [v.ipv6CidrBlock],
    state: () => ['available'],
  });
  return { Vpcs: items.map((v) => renderVpc(v, ctx.account.accountId)) };
};

const DescribeSubnets = (input: DescribeSubnetsCommandInput, ctx: CallContext): Out<DescribeSubnetsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  let items = input.SubnetIds?.length ? lookupAll(ec2.subnets, KINDS.subnet, input.SubnetIds) : Object.values(ec2.subnets);
  items = applyFilters(items, input.Filters, {
    'subnet-id': (s) => [s.subnetId],
    'vpc-id': (s) => [s.vpcId],
    'availability-zone': (s) => [s.availabilityZone],
  });
  return {
    Subnets: items.map((s: Ec2Subnet) => ({
      SubnetId: s.subnetId,
      VpcId: s.vpcId,
      CidrBlock: s.cidrBlock,
      AvailabilityZone: s.availabilityZone,
      State: 'available',
      OwnerId: ctx.account.accountId,
      SubnetArn: `arn:${ctx.account.partition}:ec2:${ctx.region}:${ctx.account.accountId}:subnet/${s.subnetId}`,
      ...(s.ipv6CidrBlock ? { Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: s.ipv6CidrBlock, Ipv6CidrBlockState: { State: 'associated' } }] } : {}),
      ...tagsOut(s.tags),
    })),
  };
};

const CreateSecurityGroup = (input: CreateSecurityGroupCommandInput, ctx: CallContext): Out<CreateSecurityGroupCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const name = input.GroupName;
  if (!name) throw new SimError('MissingParameter', 'The request must contain the parameter groupName');
  if (input.Description === undefined || input.Description === '') throw new SimError('MissingParameter', 'The request must contain the parameter groupDescription');
  if (name.length > 255) throw new SimError('InvalidParameterValue', 'Value for parameter groupName is invalid. Character sets beyond ASCII are not supported.');
  if (/^sg-/i.test(name)) throw new SimError('InvalidParameterValue', 'Group names may not be in the format sg-*.');
  if (name === 'default') throw new SimError('InvalidGroup.Reserved', "The security group 'default' is reserved");
  let vpc: Ec2Vpc | undefined;
  if (input.VpcId) vpc = lookup(ec2.vpcs, KINDS.vpc, input.VpcId, 'VpcId');
  else {
    vpc = Object.values(ec2.vpcs).find((v) => v.isDefault);
    if (!vpc) throw new SimError('VPCIdNotSpecified', 'No default VPC for this user');
  }
  const vpcId = vpc.vpcId;
  if (Object.values(ec2.securityGroups).some((g) => g.vpcId === vpcId && g.groupName === name)) {
    throw new SimError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
  }
  const tags = tagsFromSpecs(input.TagSpecifications, 'security-group');
  const sg: Ec2SecurityGroup = {
    groupId: ctx.world.ids.ec2('sg'),
    groupName: name,
    description: input.Description,
    vpcId,
    ownerId: ctx.account.accountId,
    ingress: [],
    egress: defaultEgress(ctx.world, vpc),
    tags,
    // Eventual consistency (see visibleEc2): the id is answered now, usable a little later.
    ...(ctx.world.groupVisibilityDelayMs > 0 ? { visibleAt: ctx.now + ctx.world.groupVisibilityDelayMs } : {}),
  };
  ec2.securityGroups[sg.groupId] = sg;
  return {
    GroupId: sg.groupId,
    SecurityGroupArn: `arn:${ctx.account.partition}:ec2:${ctx.region}:${sg.ownerId}:security-group/${sg.groupId}`,
    ...tagsOut(tags),
  };
};

const DeleteSecurityGroup = (input: DeleteSecurityGroupCommandInput, ctx: CallContext): Out<DeleteSecurityGroupCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const sg = groupByIdOrName(visibleEc2(ctx), input.GroupId, input.GroupName);
  if (sg.groupName === 'default') {
    throw new SimError('CannotDelete', `the specified group: "${sg.groupId}" name: "default" cannot be deleted by a user`);
  }
  const inUse = Object.values(ec2.networkInterfaces).some((e) => e.groupIds.includes(sg.groupId));
  const referenced = Object.values(ec2.securityGroups).some(
    (g) => g.groupId !== sg.groupId && [...g.ingress, ...g.egress].some((r) => r.referencedGroupId === sg.groupId),
  );
  if (inUse || referenced) throw new SimError('DependencyViolation', `resource ${sg.groupId} has a dependent object`);
  delete ec2.securityGroups[sg.groupId];
  return { Return: true, GroupId: sg.groupId };
};

const AuthorizeSecurityGroupIngress = (input: AuthorizeSecurityGroupIngressCommandInput, ctx: CallContext): Out<AuthorizeSecurityGroupIngressCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  const sg = groupByIdOrName(ec2, input.GroupId, input.GroupName);
  const rules = authorize(ctx, sg, expandPermissions(ec2, permissionsOf(input), ctx.account.accountId), false);
  return { Return: true, SecurityGroupRules: rules };
};

const AuthorizeSecurityGroupEgress = (input: AuthorizeSecurityGroupEgressCommandInput, ctx: CallContext): Out<AuthorizeSecurityGroupEgressCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  const sg = lookup(ec2.securityGroups, KINDS.group, input.GroupId, 'GroupId');
  const rules = authorize(ctx, sg, expandPermissions(ec2, permissionsOf(input), ctx.account.accountId), true);
  return { Return: true, SecurityGroupRules: rules };
};

const RevokeSecurityGroupIngress = (input: RevokeSecurityGroupIngressCommandInput, ctx: CallContext): Out<RevokeSecurityGroupIngressCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  const sg = groupByIdOrName(ec2, input.GroupId, input.GroupName);
  const ruleIds = input.SecurityGroupRuleIds ?? [];
  const specs = ruleIds.length && !input.IpPermissions?.length && input.CidrIp === undefined ? [] : expandPermissions(ec2, permissionsOf(input), ctx.account.accountId);
  const { revoked, unknown } = revoke(sg, specs, ruleIds, false);
  return { Return: true, RevokedSecurityGroupRules: revoked, ...(unknown.length ? { UnknownIpPermissions: specsToPermissions(unknown) } : {}) };
};

const RevokeSecurityGroupEgress = (input: RevokeSecurityGroupEgressCommandInput, ctx: CallContext): Out<RevokeSecurityGroupEgressCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  const sg = lookup(ec2.securityGroups, KINDS.group, input.GroupId, 'GroupId');
  const ruleIds = input.SecurityGroupRuleIds ?? [];
  const specs = ruleIds.length && !input.IpPermissions?.length && input.CidrIp === undefined ? [] : expandPermissions(ec2, permissionsOf(input), ctx.account.accountId);
  const { revoked, unknown } = revoke(sg, specs, ruleIds, true);
  return { Return: true, RevokedSecurityGroupRules: revoked, ...(unknown.length ? { UnknownIpPermissions: specsToPermissions(unknown) } : {}) };
};

const ModifyNetworkInterfaceAttribute = (input: ModifyNetworkInterfaceAttributeCommandInput, ctx: CallContext): Out<ModifyNetworkInterfaceAttributeCommandOutput> => {
  const ec2 = visibleEc2(ctx);
  const eni = lookup(ec2.networkInterfaces, KINDS.eni, input.NetworkInterfaceId, 'NetworkInterfaceId');
  const given = (['Description', 'SourceDestCheck', 'Groups', 'Attachment', 'ConnectionTrackingSpecification', 'EnaSrdSpecification', 'AssociatePublicIpAddress', 'EnablePrimaryIpv6', 'AssociatedSubnetIds'] as const).filter(
    (k) => input[k] !== undefined,
  );
  if (given.length === 0) throw new SimError('MissingParameter', 'The request must contain exactly one attribute to modify');
  if (given.length > 1) throw new SimError('InvalidParameterCombination', `Fields for multiple attribute types specified: ${given.join(', ')}`);
  if (input.Groups !== undefined) setInterfaceGroups(ec2, eni, input.Groups);
  else if (input.Description !== undefined) eni.description = input.Description.Value ?? '';
  else if (input.SourceDestCheck !== undefined) eni.sourceDestCheck = input.SourceDestCheck.Value ?? true;
  else throw new SandboxUnsupportedError(`AwsSandbox: ModifyNetworkInterfaceAttribute ${given[0] ?? ''} is not simulated`);
  return {};
};

const INSTANCE_ATTRIBUTE_FIELDS = [
  'SourceDestCheck',
  'DisableApiStop',
  'DisableApiTermination',
  'InstanceType',
  'Kernel',
  'Ramdisk',
  'UserData',
  'InstanceInitiatedShutdownBehavior',
  'Groups',
  'EbsOptimized',
  'SriovNetSupport',
  'EnaSupport',
  'BlockDeviceMappings',
  'EnclaveOptions',
] as const;

function parseBoolValue(value: string | undefined, attribute: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new SimError('InvalidParameterValue', `Value (${value ?? ''}) for parameter ${attribute} is invalid. Valid values are: true, false`);
}

/**
 * "You can't enable termination protection for Spot Instances"
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_ChangingDisableAPITermination.html).
 * EC2 refuses the change either way with this code and message (as reported by
 * https://github.com/cloud-custodian/cloud-custodian/issues/2083).
 */
function refuseSpotTermination(inst: Ec2Instance): void {
  if (inst.instanceLifecycle === 'spot') {
    throw new SimError('UnsupportedOperation', "Modifying 'disableApiTermination' is not supported for spot instances.");
  }
}

function setShutdownBehavior(inst: Ec2Instance, value: string | undefined): void {
  if (value !== 'stop' && value !== 'terminate') {
    throw new SimError('InvalidParameterValue', `Value (${value ?? ''}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are: stop, terminate`);
  }
  inst.instanceInitiatedShutdownBehavior = value;
}

const ModifyInstanceAttribute = (input: ModifyInstanceAttributeCommandInput, ctx: CallContext): Out<ModifyInstanceAttributeCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const inst = lookup(ec2.instances, KINDS.instance, input.InstanceId, 'InstanceId');
  const given: string[] = INSTANCE_ATTRIBUTE_FIELDS.filter((k) => input[k] !== undefined).map((k) => k.charAt(0).toLowerCase() + k.slice(1));
  if (input.Attribute !== undefined) given.push(input.Attribute);
  // One attribute per call: EC2 refuses combinations, so callers make separate calls.
  if (given.length === 0) throw new SimError('InvalidParameterCombination', 'No attributes specified.');
  if (given.length > 1) throw new SimError('InvalidParameterCombination', `Fields for multiple attribute types specified: ${given.join(', ')}`);
  const setGroups = (groups: string[]): void => {
    if (inst.networkInterfaceIds.length > 1) {
      throw new SimError(
        'InvalidInstanceID',
        `There are multiple interfaces attached to instance '${inst.instanceId}'. Please specify an interface ID for the operation instead.`,
      );
    }
    const primary = ec2.networkInterfaces[inst.networkInterfaceIds[0] ?? ''];
    if (!primary) throw new SimError('InvalidInstanceID', `Instance '${inst.instanceId}' has no network interface`);
    setInterfaceGroups(visibleEc2(ctx), primary, groups);
  };
  if (input.DisableApiTermination !== undefined) {
    if (input.DisableApiTermination.Value === undefined) throw new SimError('InvalidParameterValue', 'Value for parameter disableApiTermination is missing');
    refuseSpotTermination(inst);
    inst.disableApiTermination = input.DisableApiTermination.Value;
  } else if (input.InstanceInitiatedShutdownBehavior !== undefined) {
    setShutdownBehavior(inst, input.InstanceInitiatedShutdownBehavior.Value);
  } else if (input.DisableApiStop !== undefined) {
    inst.disableApiStop = input.DisableApiStop.Value ?? false;
  } else if (input.Groups !== undefined) {
    setGroups(input.Groups);
  } else if (input.Attribute !== undefined) {
    switch (input.Attribute) {
      case 'disableApiTermination':
        refuseSpotTermination(inst);
        inst.disableApiTermination = parseBoolValue(input.Value, input.Attribute);
        break;
      case 'instanceInitiatedShutdownBehavior':
        setShutdownBehavior(inst, input.Value);
        break;
      case 'disableApiStop':
        inst.disableApiStop = parseBoolValue(input.Value, input.Attribute);
        break;
      case 'groupSet':
        throw new SimError('InvalidParameterValue', 'Use the Groups parameter to modify groupSet');
      default:
        throw new SandboxUnsupportedError(`AwsSandbox: ModifyInstanceAttribute ${input.Attribute} is not simulated`);
    }
  } else {
    throw new SandboxUnsupportedError(`AwsSandbox: ModifyInstanceAttribute ${given[0] ?? ''} is not simulated`);
  }
  return {};
};

const DescribeInstanceAttribute = (input: DescribeInstanceAttributeCommandInput, ctx: CallContext): Out<DescribeInstanceAttributeCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const inst = lookup(ec2.instances, KINDS.instance, input.InstanceId, 'InstanceId');
  const base = { InstanceId: inst.instanceId };
  const primary = ec2.networkInterfaces[inst.networkInterfaceIds[0] ?? ''];
  switch (input.Attribute) {
    case 'disableApiTermination':
      return { ...base, DisableApiTermination: { Value: inst.disableApiTermination } };
    case 'instanceInitiatedShutdownBehavior':
      return { ...base, InstanceInitiatedShutdownBehavior: { Value: inst.instanceInitiatedShutdownBehavior } };
    case 'disableApiStop':
      return { ...base, DisableApiStop: { Value: inst.disableApiStop } };
    case 'groupSet':
      // Like EC2, this reports the primary interface only.
      return { ...base, Groups: groupIdentifiers(ec2, primary?.groupIds ?? []) };
    case 'instanceType':
      return { ...base, InstanceType: { Value: inst.instanceType } };
    case 'sourceDestCheck':
      return { ...base, SourceDestCheck: { Value: primary?.sourceDestCheck ?? true } };
    case 'rootDeviceName':
      return { ...base, RootDeviceName: { Value: inst.rootDeviceName } };
    case 'userData':
      return { ...base, UserData: {} };
    case 'blockDeviceMapping':
      return {
        ...base,
        BlockDeviceMappings: inst.blockDevices.map((b) => ({
          DeviceName: b.deviceName,
          Ebs: { VolumeId: b.volumeId, Status: 'attached', AttachTime: toDate(b.attachTime), DeleteOnTermination: b.deleteOnTermination },
        })),
      };
    case undefined:
      throw new SimError('MissingParameter', 'The request must contain the parameter attribute');
    default:
      throw new SandboxUnsupportedError(`AwsSandbox: DescribeInstanceAttribute ${input.Attribute} is not simulated`);
  }
};

const CreateSnapshot = (input: CreateSnapshotCommandInput, ctx: CallContext): Out<CreateSnapshotCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const vol = lookup(ec2.volumes, KINDS.volume, input.VolumeId, 'VolumeId');
  const snap = makeSnapshot(ctx, vol, input.Description ?? '', tagsFromSpecs(input.TagSpecifications, 'snapshot'));
  return renderSnapshot(snap, 'pending');
};

const CreateSnapshots = (input: CreateSnapshotsCommandInput, ctx: CallContext): Out<CreateSnapshotsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const inst = lookup(ec2.instances, KINDS.instance, input.InstanceSpecification?.InstanceId, 'InstanceSpecification.InstanceId');
  const specTags = tagsFromSpecs(input.TagSpecifications, 'snapshot');
  const excluded = new Set(input.InstanceSpecification?.ExcludeDataVolumeIds ?? []);
  const devices = inst.blockDevices.filter((b) => {
    if (input.InstanceSpecification?.ExcludeBootVolume && b.deviceName === inst.rootDeviceName) return false;
    return !excluded.has(b.volumeId);
  });
  const snaps = devices.map((b) => {
    const vol = lookup(ec2.volumes, KINDS.volume, b.volumeId, 'VolumeId');
    const tags = input.CopyTagsFromSource === 'volume' ? mergeTags(vol.tags, specTags) : specTags;
    return makeSnapshot(ctx, vol, input.Description ?? '', tags);
  });
  return {
    Snapshots: snaps.map((s) => ({
      SnapshotId: s.snapshotId,
      VolumeId: s.volumeId,
      VolumeSize: s.volumeSize,
      StartTime: toDate(s.startTime),
      Description: s.description,
      State: 'pending',
      Progress: '',
      OwnerId: s.ownerId,
      Encrypted: s.encrypted,
      ...tagsOut(s.tags),
    })),
  };
};

const DescribeSnapshots = (input: DescribeSnapshotsCommandInput, ctx: CallContext): Out<DescribeSnapshotsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  let items = input.SnapshotIds?.length ? lookupAll(ec2.snapshots, KINDS.snapshot, input.SnapshotIds) : Object.values(ec2.snapshots);
  if (input.OwnerIds?.length) {
    const owners = input.OwnerIds.map((o) => (o === 'self' ? ctx.account.accountId : o));
    items = items.filter((s) => owners.includes(s.ownerId));
  }
  items = applyFilters(items, input.Filters, {
    'snapshot-id': (s) => [s.snapshotId],
    'volume-id': (s) => [s.volumeId],
    status: (s) => [s.state],
    'owner-id': (s) => [s.ownerId],
    description: (s) => [s.description],
  });
  const paged = page(items, input.MaxResults, input.NextToken, 'DescribeSnapshots');
  return { Snapshots: paged.items.map((s) => renderSnapshot(s)), ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
};

const DescribeVolumes = (input: DescribeVolumesCommandInput, ctx: CallContext): Out<DescribeVolumesCommandOutput> => {
  const ec2 = ec2Of(ctx);
  let items = input.VolumeIds?.length ? lookupAll(ec2.volumes, KINDS.volume, input.VolumeIds) : Object.values(ec2.volumes);
  items = applyFilters(items, input.Filters, {
    'volume-id': (v) => [v.volumeId],
    'attachment.instance-id': (v) => v.attachments.map((a) => a.instanceId),
    'attachment.device': (v) => v.attachments.map((a) => a.device),
    'attachment.status': (v) => v.attachments.map(() => 'attached'),
    status: (v) => [v.state],
    'availability-zone': (v) => [v.availabilityZone],
  });
  const paged = page(items, input.MaxResults, input.NextToken, 'DescribeVolumes');
  return { Volumes: paged.items.map(renderVolume), ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
};

const CreateTags = (input: CreateTagsCommandInput, ctx: CallContext): Out<CreateTagsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const resources = input.Resources ?? [];
  if (resources.length === 0) throw new SimError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const tags = validateTags(input.Tags ?? []);
  // Resolve and validate everything before changing anything: CreateTags is all-or-nothing.
  const targets = resources.map((id) => resourceByTagId(ec2, id).item);
  const merged = targets.map((t) => mergeTags(t.tags, tags));
  targets.forEach((t, i) => {
    t.tags = merged[i] ?? t.tags;
  });
  return {};
};

const DeleteTags = (input: DeleteTagsCommandInput, ctx: CallContext): Out<DeleteTagsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const targets = (input.Resources ?? []).map((id) => resourceByTagId(ec2, id).item);
  for (const t of targets) {
    if (input.Tags === undefined) {
      // No Tags means every user tag goes, as documented for DeleteTags.
      t.tags = [];
      continue;
    }
    t.tags = t.tags.filter((existing) => !input.Tags?.some((d) => d.Key === existing.Key && (d.Value === undefined || d.Value === existing.Value)));
  }
  return {};
};

const DescribeTags = (input: DescribeTagsCommandInput, ctx: CallContext): Out<DescribeTagsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const all: TagDescription[] = [];
  const add = (id: string, type: TagDescription['ResourceType'], tags: KeyValueTag[]): void => {
    for (const t of tags) all.push({ ResourceId: id, ResourceType: type, Key: t.Key, Value: t.Value });
  };
  Object.values(ec2.instances).forEach((x) => add(x.instanceId, 'instance', x.tags));
  Object.values(ec2.securityGroups).forEach((x) => add(x.groupId, 'security-group', x.tags));
  Object.values(ec2.networkInterfaces).forEach((x) => add(x.networkInterfaceId, 'network-interface', x.tags));
  Object.values(ec2.volumes).forEach((x) => add(x.volumeId, 'volume', x.tags));
  Object.values(ec2.snapshots).forEach((x) => add(x.snapshotId, 'snapshot', x.tags));
  Object.values(ec2.vpcs).forEach((x) => add(x.vpcId, 'vpc', x.tags));
  Object.values(ec2.subnets).forEach((x) => add(x.subnetId, 'subnet', x.tags));
  const fields: Record<string, (t: TagDescription) => string | undefined> = {
    'resource-id': (t) => t.ResourceId,
    'resource-type': (t) => t.ResourceType,
    key: (t) => t.Key,
    value: (t) => t.Value,
  };
  let out = all;
  for (const f of input.Filters ?? []) {
    const get = fields[f.Name ?? ''];
    if (!get) throw new SimError('InvalidParameterValue', `The filter '${f.Name ?? ''}' is invalid`);
    out = out.filter((t) => (f.Values ?? []).some((v) => filterValueMatches(v, get(t) ?? '')));
  }
  const paged = page(out, input.MaxResults, input.NextToken, 'DescribeTags');
  return { Tags: paged.items, ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
};

const DescribeIamInstanceProfileAssociations = (
  input: DescribeIamInstanceProfileAssociationsCommandInput,
  ctx: CallContext,
): Out<DescribeIamInstanceProfileAssociationsCommandOutput> => {
  const ec2 = ec2Of(ctx);
  let items = Object.values(ec2.iamInstanceProfileAssociations);
  if (input.AssociationIds?.length) {
    const missing = input.AssociationIds.filter((id) => !ec2.iamInstanceProfileAssociations[id]);
    if (missing.length) throw new SimError('InvalidAssociationID.NotFound', `An association with ID ${missing.join(', ')} does not exist.`);
    items = items.filter((a) => input.AssociationIds?.includes(a.associationId));
  }
  for (const f of input.Filters ?? []) {
    const values = f.Values ?? [];
    if (f.Name === 'instance-id') items = items.filter((a) => values.includes(a.instanceId));
    else if (f.Name === 'state') items = items.filter((a) => values.includes(a.state));
    else throw new SimError('InvalidParameterValue', `The filter '${f.Name ?? ''}' is invalid`);
  }
  const paged = page(items, input.MaxResults, input.NextToken, 'DescribeIamInstanceProfileAssociations');
  return { IamInstanceProfileAssociations: paged.items.map(renderAssociation), ...(paged.nextToken ? { NextToken: paged.nextToken } : {}) };
};

const AssociateIamInstanceProfile = (input: AssociateIamInstanceProfileCommandInput, ctx: CallContext): Out<AssociateIamInstanceProfileCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const inst = lookup(ec2.instances, KINDS.instance, input.InstanceId, 'InstanceId');
  if (activeAssociation(ec2, inst.instanceId)) throw new SimError('IncorrectState', `There is an existing association for instance ${inst.instanceId}`);
  const profile = profileByArnOrName(ctx, input.IamInstanceProfile);
  const assoc: Ec2ProfileAssociation = {
    associationId: ctx.world.ids.ec2('iip-assoc'),
    instanceId: inst.instanceId,
    instanceProfileArn: profile.arn,
    instanceProfileId: profile.id,
    state: 'associated',
    timestamp: ctx.now,
  };
  ec2.iamInstanceProfileAssociations[assoc.associationId] = assoc;
  return { IamInstanceProfileAssociation: { ...renderAssociation(assoc), State: 'associating' } };
};

function associationById(ec2: Ec2State, id: string | undefined): Ec2ProfileAssociation {
  const assoc = id ? ec2.iamInstanceProfileAssociations[id] : undefined;
  if (!assoc) throw new SimError('InvalidAssociationID.NotFound', `An association with ID ${id ?? ''} does not exist.`);
  return assoc;
}

const DisassociateIamInstanceProfile = (input: DisassociateIamInstanceProfileCommandInput, ctx: CallContext): Out<DisassociateIamInstanceProfileCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const assoc = associationById(ec2, input.AssociationId);
  delete ec2.iamInstanceProfileAssociations[assoc.associationId];
  return { IamInstanceProfileAssociation: { ...renderAssociation(assoc), State: 'disassociating' } };
};

const ReplaceIamInstanceProfileAssociation = (
  input: ReplaceIamInstanceProfileAssociationCommandInput,
  ctx: CallContext,
): Out<ReplaceIamInstanceProfileAssociationCommandOutput> => {
  const ec2 = ec2Of(ctx);
  const old = associationById(ec2, input.AssociationId);
  const profile = profileByArnOrName(ctx, input.IamInstanceProfile);
  delete ec2.iamInstanceProfileAssociations[old.associationId];
  const assoc: Ec2ProfileAssociation = {
    associationId: ctx.world.ids.ec2('iip-assoc'),
    instanceId: old.instanceId,
    instanceProfileArn: profile.arn,
    instanceProfileId: profile.id,
    state: 'associated',
    timestamp: ctx.now,
  };
  ec2.iamInstanceProfileAssociations[assoc.associationId] = assoc;
  return { IamInstanceProfileAssociation: { ...renderAssociation(assoc), State: 'associating' } };
};

/** EC2 command handlers, keyed by command name without the `Command` suffix. */
export const EC2_HANDLERS = {
  DescribeInstances,
  DescribeNetworkInterfaces,
  DescribeSecurityGroups,
  DescribeSecurityGroupRules,
  DescribeVpcs,
  DescribeSubnets,
  CreateSecurityGroup,
  DeleteSecurityGroup,
  AuthorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress,
  RevokeSecurityGroupEgress,
  ModifyNetworkInterfaceAttribute,
  ModifyInstanceAttribute,
  DescribeInstanceAttribute,
  CreateSnapshot,
  CreateSnapshots,
  DescribeSnapshots,
  DescribeVolumes,
  CreateTags,
  DeleteTags,
  DescribeTags,
  DescribeIamInstanceProfileAssociations,
  AssociateIamInstanceProfile,
  DisassociateIamInstanceProfile,
  ReplaceIamInstanceProfileAssociation,
} satisfies Record<string, SimHandler>;

/** Resource ARNs a request touches, for resource-level policy statements. */
export function ec2AuthzTarget(command: string, input: unknown, ctx: CallContext): AuthzTarget {
  const arn = (type: string, id: string): string => `arn:${ctx.account.partition}:ec2:${ctx.region}:${ctx.account.accountId}:${type}/${id}`;
  const typeOf: Record<string, string> = { i: 'instance', sg: 'security-group', eni: 'network-interface', vol: 'volume', snap: 'snapshot', vpc: 'vpc', subnet: 'subnet' };
  const instanceId = strField(input, 'InstanceId');
  switch (command) {
    case 'ModifyInstanceAttribute':
      // Groups names security groups, each authorized as well as the instance
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
      return { resources: [instanceId ? arn('instance', instanceId) : '*', ...listField(input, 'Groups').map((g) => arn('security-group', g))] };
    case 'DescribeInstanceAttribute':
    case 'AssociateIamInstanceProfile':
      return { resources: instanceId ? [arn('instance', instanceId)] : ['*'] };
    case 'CreateSnapshots': {
      const spec = (input as { InstanceSpecification?: { InstanceId?: string } }).InstanceSpecification;
      return { resources: [spec?.InstanceId ? arn('instance', spec.InstanceId) : '*', `arn:${ctx.account.partition}:ec2:${ctx.region}::snapshot/*`] };
    }
    case 'ModifyNetworkInterfaceAttribute': {
      const eni = strField(input, 'NetworkInterfaceId');
      return { resources: [eni ? arn('network-interface', eni) : '*', ...listField(input, 'Groups').map((g) => arn('security-group', g))] };
    }
    case 'CreateSnapshot': {
      const vol = strField(input, 'VolumeId');
      return { resources: [vol ? arn('volume', vol) : '*', `arn:${ctx.account.partition}:ec2:${ctx.region}::snapshot/*`] };
    }
    case 'CreateSecurityGroup': {
      const vpc = strField(input, 'VpcId');
      return { resources: [vpc ? arn('vpc', vpc) : '*', arn('security-group', '*')] };
    }
    case 'DeleteSecurityGroup':
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress': {
      const gid = strField(input, 'GroupId');
      return { resources: [gid ? arn('security-group', gid) : '*'] };
    }
    case 'CreateTags':
    case 'DeleteTags':
      return {
        resources: listField(input, 'Resources').map((id) => {
          const type = typeOf[id.split('-')[0] ?? ''];
          return type ? arn(type, id) : '*';
        }),
      };
    default:
      return { resources: ['*'] };
  }
}
