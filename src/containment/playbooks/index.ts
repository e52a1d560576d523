import type { ResourceKind } from '../../domain/actions/target';
import type { Playbook } from '../playbook';
import { accessKeyPlaybook } from './access-key';
import { ec2InstancePlaybook } from './ec2-instance';
import { iamRolePlaybook } from './iam-role';
import { iamUserPlaybook } from './iam-user';
import { lambdaFunctionPlaybook } from './lambda-function';

/** The playbook per resource kind (DESIGN §7). */
export const PLAYBOOKS: Record<ResourceKind, Playbook> = {
  'ec2-instance': ec2InstancePlaybook,
  'iam-user': iamUserPlaybook,
  'iam-role': iamRolePlaybook,
  'lambda-function': lambdaFunctionPlaybook,
  'access-key': accessKeyPlaybook,
};
