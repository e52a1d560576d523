/**
 * Wraps a GuardDuty finding detail in the EventBridge envelope the `findings` Lambda receives
 * (the shape parse-finding reads back). It lives in the product, not in the sandbox, because
 * `cordon drill` sends the attack scenario through it into a real workspace.
 */
export function toEventBridgeEvent(detail: Record<string, unknown>): Record<string, unknown> {
  return {
    version: '0',
    id: `evt-${String(detail.id)}`,
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: detail.accountId,
    time: detail.updatedAt,
    region: detail.region,
    resources: [],
    detail,
  };
}
