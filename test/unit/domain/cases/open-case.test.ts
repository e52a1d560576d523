import { openCase } from '../../../../src/domain/cases/case';

describe('openCase', () => {
  const at = '2026-11-22T02:00:00.000Z';
  const base = { id: 'IR-20261122-7Q3F', title: 't', severity: 7, band: 'high' as const, accounts: ['111111111111'], regions: ['us-east-1'], primaryType: 'Recon:EC2/PortProbeUnprotectedPort' };

  it('is open, unposted and at version 1, with its times all `at`', () => {
    const c = openCase(base, at);
    expect(c).toMatchObject({ status: 'open', version: 1, cardPinned: false, cardDirty: false, mention: false, escalate: false, ownerEmails: [] });
    expect([c.createdAt, c.updatedAt, c.lastActivityAt]).toEqual([at, at, at]);
    expect(c.channelId).toBeUndefined();
  });

  it('keeps what the caller decided (routing, owners, detection time) over the defaults, but never its status or version', () => {
    const c = openCase({ ...base, mention: true, escalate: true, ownerEmails: ['o@example.com'], detectedAt: '2025-03-14T08:15:00.000Z', ...({ status: 'closed', version: 9 } as object) }, at);
    expect(c).toMatchObject({ mention: true, escalate: true, ownerEmails: ['o@example.com'], detectedAt: '2025-03-14T08:15:00.000Z', status: 'open', version: 1 });
  });
});
