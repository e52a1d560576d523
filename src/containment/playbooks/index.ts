import type { ResourceKind } from '../../domain/actions/target';
import type { Playbook } from '../playbook';
import { accessKeyPlaybook } from './access-key';
import { iamRolePlaybook } from './iam-role';
import { iamUserPlaybook } from './iam-user';
import { lambdaFunctionPlaybook } from './lambda-function';

/** The playbook per resource kind (docs/architecture.md §7). */
export const PLAYBOOKS: Record<ResourceKind, Playbook> = {
  // Loaded on first use: it pulls in the EC2 client, which the slack function never needs.
  get 'ec2-instance'(): Playbook {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./ec2-instance') as typeof import('./ec2-instance')).ec2InstancePlaybook;
  },
  'iam-user': iamUserPlaybook,
  'iam-role': iamRolePlaybook,
  'lambda-function': lambdaFunctionPlaybook,
  'access-key': accessKeyPlaybook,
};
