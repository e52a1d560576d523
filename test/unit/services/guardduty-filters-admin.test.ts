import { CreateFilterCommand, GetFilterCommand } from '@aws-sdk/client-guardduty';
import type { SuppressionRule } from '../../../src/domain/triage/suppression';
import { silentLogger } from '../../../src/log';
import { filterDescription, GuardDutyFilters } from '../../../src/services/guardduty-filters';
import { containmentHarness, PROD, REGION, SANDBOX } from '../../support/aws';

/** Issue 15, point 19: filters where GuardDuty allows them, idempotent, with a description it accepts. */
describe('GuardDuty ARCHIVE filters with an administrator account', () => {
  const rule = (patch: Partial<SuppressionRule> = {}): SuppressionRule => ({
    id: 's-4dm1n',
    reason: 'scanner "nightly", owner @ops, ok!',
    type: 'Recon:EC2/PortProbeUnprotectedPort',
    author: 'U0BOSS',
    createdAt: new Date().toISOString(),
    filtersPending: [{ accountId: PROD, region: REGION }],
    ...patch,
  });

  function setup(admin?: string) {
    const h = containmentHarness();
    const adminDetector = h.sb.createDetector(SANDBOX, REGION);
    h.sb.setGuardDutyAdministrator(PROD, REGION, SANDBOX);
    const filters = new GuardDutyFilters(h.store, h.service, silentLogger, { now: () => new Date(), ...(admin ? { administratorAccount: admin } : {}) });
    return { h, filters, adminDetector };
  }

  it('a member account refuses filters (the simulator follows GuardDuty): without the administrator named, the filter stays pending', async () => {
    const { h, filters } = setup();
    await h.store.putSuppression(rule());
    await filters.createFilters('s-4dm1n');
    expect(h.sb.calls({ command: 'CreateFilter' }).map((c) => c.outcome)).toEqual(['BadRequestException']);
    expect((await h.store.getSuppression('s-4dm1n'))!.filtersPending).toEqual([{ accountId: PROD, region: REGION }]);
  });

  it('made in the administrator account, scoped to the member by accountId, with a description GuardDuty accepts and a client token', async () => {
    const { h, filters, adminDetector } = setup(SANDBOX);
    await h.store.putSuppression(rule());
    await filters.createFilters('s-4dm1n');
    const stored = (await h.store.getSuppression('s-4dm1n'))!;
    expect(stored).toMatchObject({ filtersPending: [], filters: [{ accountId: PROD, region: REGION, hostAccountId: SANDBOX, name: `cordon-s-4dm1n-${PROD}`, detectorId: adminDetector }] });
    const f = await h.sb.guardduty(SANDBOX, REGION).send(new GetFilterCommand({ DetectorId: adminDetector, FilterName: `cordon-s-4dm1n-${PROD}` }));
    expect(f.FindingCriteria?.Criterion?.accountId).toEqual({ Equals: [PROD] });
    expect(f.Description).toBe('Cordon suppression s-4dm1n by U0BOSS: scanner nightly owner ops ok');
    const create = h.sb.calls({ command: 'CreateFilter', outcome: 'ok' })[0]!.input as { ClientToken?: string };
    expect(create.ClientToken).toBe(`cordon-s-4dm1n-${PROD}-${REGION}`);
    // The same create again (an answer lost in transit) is answered as the first, and makes nothing new.
    await h.sb.guardduty(SANDBOX, REGION).send(new CreateFilterCommand({ ...(create as ConstructorParameters<typeof CreateFilterCommand>[0]) }));
    expect(Object.keys(h.sb.snapshotState(SANDBOX).regions[REGION]!.guardduty.detectors[adminDetector]!.filters)).toEqual([`cordon-s-4dm1n-${PROD}`]);
  });

  it('the simulator refuses a description outside GuardDuty\'s character set', async () => {
    const { h, adminDetector } = setup();
    await expect(
      h.sb.guardduty(SANDBOX, REGION, { maxAttempts: 1 }).send(new CreateFilterCommand({ DetectorId: adminDetector, Name: 'x-filter', Action: 'ARCHIVE', Description: 'owner @ops', FindingCriteria: { Criterion: { type: { Equals: ['a'] } } } })),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
    expect(filterDescription('a\u00e9b, "c" @d (e) [f] {g} h/i: j_k-l.m')).toBe('a b c d (e) [f] {g} h/i: j_k-l.m');
  });

  it('a BadRequest on delete is not taken as "already gone" while the detector still lists the filter', async () => {
    const { h, filters } = setup(SANDBOX);
    await h.store.putSuppression(rule());
    await filters.createFilters('s-4dm1n');
    await h.store.putSuppression({ ...(await h.store.getSuppression('s-4dm1n'))!, liftRequestedAt: new Date().toISOString(), liftedBy: 'U0BOSS' });
    h.sb.failCall('DeleteFilter', { code: 'BadRequestException', message: 'The request is rejected because the input detectorId is not owned by the current account.', times: 1 });
    await filters.sync('s-4dm1n');
    const kept = (await h.store.getSuppression('s-4dm1n'))!;
    expect(kept.liftedAt).toBeUndefined();
    expect(kept.filters).toHaveLength(1);
    // Next sweep: deleted for real, and the rule retires.
    expect(await filters.sweepExpired()).toEqual(['s-4dm1n']);
    expect((await h.store.getSuppression('s-4dm1n'))!.filters).toEqual([]);
  });
});
