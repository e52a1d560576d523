import type { ResourceKind } from '../../domain/actions/target';
import type { Playbook } from '../playbook';

/*
 * Each playbook is loaded on first use: a playbook pulls in its SDK client's commands (EC2
 * is the heaviest), and the worker and ticker functions should parse at cold start only what
 * the job in hand needs; the slack function never needs any.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

/** The playbook per resource kind (docs/architecture.md §7). */
export const PLAYBOOKS: Record<ResourceKind, Playbook> = {
  get 'ec2-instance'(): Playbook {
    return (require('./ec2-instance') as typeof import('./ec2-instance')).ec2InstancePlaybook;
  },
  get 'iam-user'(): Playbook {
    return (require('./iam-user') as typeof import('./iam-user')).iamUserPlaybook;
  },
  get 'iam-role'(): Playbook {
    return (require('./iam-role') as typeof import('./iam-role')).iamRolePlaybook;
  },
  get 'lambda-function'(): Playbook {
    return (require('./lambda-function') as typeof import('./lambda-function')).lambdaFunctionPlaybook;
  },
  get 'access-key'(): Playbook {
    return (require('./access-key') as typeof import('./access-key')).accessKeyPlaybook;
  },
};
