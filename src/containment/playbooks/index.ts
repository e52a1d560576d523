import type { ResourceKind } from '../../domain/actions/target';
import type { Playbook } from '../playbook';

/*
 * Each playbook is loaded on first use: a playbook pulls in its SDK client's commands (EC2
 * is the heaviest), and the worker and ticker functions should parse at cold start only what
 * the job in hand needs; the slack function never needs any. Dynamic imports, not `require`:
 * esbuild makes each a chunk of the Lambda bundles (ESM, split) that is parsed only when
 * loaded, where a lazy `require` inside one bundle is still parsed at every cold start.
 */
const LOADERS: Record<ResourceKind, () => Promise<Playbook>> = {
  'ec2-instance': async () => (await import('./ec2-instance')).ec2InstancePlaybook,
  'iam-user': async () => (await import('./iam-user')).iamUserPlaybook,
  'iam-role': async () => (await import('./iam-role')).iamRolePlaybook,
  'lambda-function': async () => (await import('./lambda-function')).lambdaFunctionPlaybook,
  'access-key': async () => (await import('./access-key')).accessKeyPlaybook,
};

/** The playbook per resource kind (docs/architecture.md §7), loaded on first use. */
export function loadPlaybook(kind: ResourceKind): Promise<Playbook> {
  return LOADERS[kind]();
}
