import type { Action } from '../../../../src/domain/actions/action';
import type { Case } from '../../../../src/domain/cases/case';

export const T0 = '2026-11-25T02:00:00.000Z';
export const min = (m: number): string => new Date(Date.parse(T0) + m * 60_000).toISOString();

export function aCase(patch: Partial<Case> = {}): Case {
  return {
    id: 'IR-20261125-7Q3F',
    title: 'Credential exfiltration',
    status: 'open',
    severity: 8,
    band: 'high',
    accounts: ['111111111111'],
    regions: ['us-east-1'],
    primaryType: 'Recon:IAMUser/MaliciousIPCaller',
    createdAt: T0,
    updatedAt: T0,
    lastActivityAt: T0,
    mention: false,
    escalate: false,
    ownerEmails: [],
    cardPinned: false,
    cardDirty: false,
    version: 1,
    ...patch,
  };
}

export function anAction(patch: Partial<Action> = {}): Action {
  return {
    id: 'A-20261125020900-ab12',
    caseId: 'IR-20261125-7Q3F',
    target: { kind: 'iam-user', ref: 'arn:aws:iam::111111111111:user/build', partition: 'aws', accountId: '111111111111', id: 'build' },
    kind: 'iam-user',
    requestedBy: 'U0RESP',
    dryRun: false,
    status: 'applied',
    plan: [],
    notes: [],
    steps: [],
    createdAt: min(9),
    updatedAt: min(12),
    version: 3,
    ...patch,
  };
}
