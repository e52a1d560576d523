import type { StoredFinding, TimelineEvent } from '../../../../src/domain/cases/case';
import { mdText, renderCaseReport } from '../../../../src/domain/reports/case-report';
import { caseMetrics } from '../../../../src/domain/reports/metrics';
import { aCase, anAction, min, T0 } from './report-fixtures';

function finding(id: string, type: string, title: string): StoredFinding {
  return {
    id,
    finding: {
      id, arn: `arn:aws:guardduty:us-east-1:111111111111:detector/d/finding/${id}`, type, accountId: '111111111111', region: 'us-east-1', partition: 'aws', severity: 8, title, description: '', createdAt: T0, updatedAt: T0, count: 1, archived: false,
      resourceType: 'AccessKey', resources: [{ kind: 'access-key', id: 'AKIAEXAMPLE000000001' }], tags: {}, remoteIps: [], actor: {}, signalFindingIds: [], isAttackSequence: false,
    },
    band: 'high', disposition: 'cased', caseId: 'IR-20261125-7Q3F', firstSeenAt: T0, lastSeenAt: T0, cardDirty: false, source: 'test', version: 1,
  };
}

describe('renderCaseReport', () => {
  const timeline: TimelineEvent[] = [{ id: 1, caseId: 'IR-20261125-7Q3F', at: T0, kind: 'case.opened', actor: 'cordon', text: 'Case opened' }];

  it('neutralises Markdown and HTML from finding text, keeping each table row on one line', () => {
    expect(mdText('a|b\n<img src=x onerror=alert(1)> [click](https://evil) *x* `y` &amp;')).toBe('a\\|b \\<img src=x onerror=alert(1)\\> \\[click\\](https://evil) \\*x\\* \\`y\\` &amp;amp;');
    const c = aCase({ title: 'Title | with [link](http://evil)' });
    const md = renderCaseReport({ case: c, findings: [finding('f1', 'CredentialAccess:IAMUser/AnomalousBehavior', 'x|y\nz')], actions: [], timeline, metrics: caseMetrics(c, []), generatedAt: min(5) });
    expect(md).toContain('# Incident report IR-20261125-7Q3F: Title \\| with \\[link\\](http://evil)');
    const row = md.split('\n').find((l) => l.includes('CredentialAccess:IAMUser'))!;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(8);
    expect(md).toContain('### CredentialAccess (1)');
  });

  it('says what did not happen: no actions, metrics not reached, no chart section without a chart', () => {
    const c = aCase();
    const md = renderCaseReport({ case: c, findings: [], actions: [], timeline, metrics: caseMetrics(c, []), generatedAt: min(5) });
    expect(md).toContain('No containment actions.');
    expect(md).toContain('No findings: the case was opened by hand.');
    expect(md).toContain('| Time to contain | not reached | detected 2026-11-25 02:00:00 | — |');
    expect(md).toContain('| Time to acknowledge | not reached | detected 2026-11-25 02:00:00 | — |');
    expect(md).not.toContain('## Phase chart');
  });

  it('reports how each action ended: dry run, partial apply then reverted, rejected, revert failed', () => {
    const c = aCase();
    const actions = [
      anAction({ id: 'A-20261125020100-dry0', dryRun: true, status: 'dry_run' }),
      anAction({ id: 'A-20261125020200-part', status: 'reverted', revertedBy: 'U0CMD', revertedAt: min(20), steps: [{ stepId: 's1', status: 'reverted' }, { stepId: 's2', status: 'failed', error: 'AccessDenied' }] }),
      anAction({ id: 'A-20261125020300-rejt', status: 'rejected', rejectedBy: 'U0CMD', approvalRule: 'prod' }),
      anAction({ id: 'A-20261125020400-rvfl', status: 'revert_failed', appliedAt: min(6), revertedBy: 'U0CMD', revertedAt: min(21) }),
    ];
    const md = renderCaseReport({ case: c, findings: [], actions, timeline, metrics: caseMetrics(c, actions), generatedAt: min(30) });
    const row = (n: number) => md.split('\n').find((l) => l.startsWith(`| A${n} |`))!;
    expect(row(1)).toContain('| dry run (nothing changed) |');
    expect(row(2)).toContain('| partially applied (1 step failed) | — | reverted by U0CMD at 2026-11-25 02:20:00 |');
    expect(row(3)).toContain('| rejected by U0CMD | rejected | — | not reverted |');
    expect(row(4)).toContain('| applied | 2026-11-25 02:06:00 | revert failed by U0CMD at 2026-11-25 02:21:00 |');
    expect(md).toContain('- **Containment actions:** 3 (1 applied, 2 reverted)');
  });
});
