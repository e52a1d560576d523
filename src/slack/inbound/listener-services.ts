import type { AccessService } from '../../services/access-service';
import type { ActionService } from '../../services/action-service';
import type { CaseService } from '../../services/case-service';
import type { EscalationService } from '../../services/escalation-service';
import type { ReportService } from '../../services/report-service';
import type { SuppressionService } from '../../services/suppression-service';
import type { Store } from '../../store/store';

/**
 * What a Slack listener may call, and nothing else. Every one is present (a feature
 * the config leaves out answers CONFIG.INVALID itself). There is no access check here
 * on purpose: each service method that takes a `Requester` authorizes (and audits) the
 * request itself, so a listener cannot forget one or do one twice.
 */
export interface ListenerServices {
  /** Reads only: the case of a channel, the record a button names, and `/healthz`. */
  store: Pick<Store, 'ping' | 'getCase' | 'getCaseByChannel' | 'getFinding'>;
  access: Pick<AccessService, 'whoami'>;
  cases: Pick<CaseService, 'status' | 'timeline' | 'note' | 'inviteOwner' | 'resolve' | 'close' | 'merge' | 'split'>;
  actions: Pick<ActionService, 'requestContain' | 'approve' | 'reject' | 'requestRevert'>;
  escalation: Pick<EscalationService, 'escalate' | 'acknowledge'>;
  suppression: Pick<SuppressionService, 'suppress' | 'lift' | 'approve'>;
  reports: Pick<ReportService, 'request' | 'statsFor'>;
}
