/** Block Kit limits Slack enforces (checked by the sandbox on every message). */
export const BLOCK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  blockId: 255,
  actionId: 255,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  messageText: 40_000,
} as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(v: unknown): string {
  return isObj(v) && typeof v.text === 'string' ? v.text : '';
}

/** The first Block Kit violation in `blocks`, worded like Slack's `response_metadata.messages`, or undefined. */
export function blockViolation(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > BLOCK_LIMITS.blocks) return `[ERROR] no more than ${BLOCK_LIMITS.blocks} items allowed [json-pointer:/blocks]`;
  for (let i = 0; i < blocks.length; i++) {
    const b: unknown = blocks[i];
    const at = `[json-pointer:/blocks/${i}`;
    if (!isObj(b) || typeof b.type !== 'string') return `[ERROR] missing required field: type ${at}]`;
    if (typeof b.block_id === 'string' && b.block_id.length > BLOCK_LIMITS.blockId) return `[ERROR] must be less than ${BLOCK_LIMITS.blockId} characters ${at}/block_id]`;
    switch (b.type) {
      case 'section': {
        if (b.text === undefined && b.fields === undefined) return `[ERROR] must provide either text or fields ${at}]`;
        if (textOf(b.text).length > BLOCK_LIMITS.sectionText) return `[ERROR] must be less than ${BLOCK_LIMITS.sectionText + 1} characters ${at}/text/text]`;
        if (b.text !== undefined && textOf(b.text).length === 0) return `[ERROR] must be more than 0 characters ${at}/text/text]`;
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > BLOCK_LIMITS.fields) return `[ERROR] no more than ${BLOCK_LIMITS.fields} items allowed ${at}/fields]`;
          for (let f = 0; f < b.fields.length; f++) {
            if (textOf(b.fields[f]).length > BLOCK_LIMITS.fieldText) return `[ERROR] must be less than ${BLOCK_LIMITS.fieldText + 1} characters ${at}/fields/${f}/text]`;
          }
        }
        break;
      }
      case 'header':
        if (textOf(b.text).length > BLOCK_LIMITS.headerText) return `[ERROR] must be less than ${BLOCK_LIMITS.headerText + 1} characters ${at}/text/text]`;
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > BLOCK_LIMITS.contextElements) {
          return `[ERROR] must have between 1 and ${BLOCK_LIMITS.contextElements} items ${at}/elements]`;
        }
        break;
      case 'actions': {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > BLOCK_LIMITS.actionsElements) {
          return `[ERROR] must have between 1 and ${BLOCK_LIMITS.actionsElements} items ${at}/elements]`;
        }
        for (let e = 0; e < b.elements.length; e++) {
          const el: unknown = b.elements[e];
          if (!isObj(el)) return `[ERROR] invalid element ${at}/elements/${e}]`;
          if (typeof el.action_id === 'string' && el.action_id.length > BLOCK_LIMITS.actionId) return `[ERROR] must be less than ${BLOCK_LIMITS.actionId} characters ${at}/elements/${e}/action_id]`;
          if (el.type === 'button') {
            if (textOf(el.text).length > BLOCK_LIMITS.buttonText) return `[ERROR] must be less than ${BLOCK_LIMITS.buttonText + 1} characters ${at}/elements/${e}/text/text]`;
            if (typeof el.value === 'string' && el.value.length > BLOCK_LIMITS.buttonValue) return `[ERROR] must be less than ${BLOCK_LIMITS.buttonValue + 1} characters ${at}/elements/${e}/value]`;
            if (typeof el.url === 'string' && el.url.length > BLOCK_LIMITS.buttonUrl) return `[ERROR] must be less than ${BLOCK_LIMITS.buttonUrl + 1} characters ${at}/elements/${e}/url]`;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}
