/**
 * Block Kit limits Slack enforces on `chat.postMessage`, `chat.update` and
 * `chat.postEphemeral`. Cordon renders attacker-controlled strings into blocks, so a
 * renderer that forgets to truncate must fail in tests the way it would fail in Slack.
 */
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
  imageUrl: 3000,
  altText: 2000,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  messageText: 40_000,
  /**
   * Text summed over every text object of a message's blocks. Slack does not document it
   * for section, header or context blocks, yet refuses more with `msg_blocks_too_long`
   * (https://github.com/slackapi/bolt-js/issues/2509: "12,000 text characters with a buffer
   * for block containers"; https://github.com/slackapi/bolt-js/issues/2867: refused at
   * 11,341 counted characters). The markdown block page documents the same 12,000
   * (https://docs.slack.dev/reference/block-kit/blocks/markdown-block). The sandbox refuses
   * at 12,000 counted characters; Cordon must stay well below.
   */
  cumulativeText: 12_000,
} as const;

const BLOCK_TYPES = new Set(['section', 'divider', 'image', 'actions', 'context', 'header', 'input', 'file', 'rich_text', 'video', 'markdown']);
const TEXT_TYPES = new Set(['plain_text', 'mrkdwn']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Slack words its schema errors this way in `response_metadata.messages`. */
function err(what: string, pointer: string): string {
  return `[ERROR] ${what} [json-pointer:${pointer}]`;
}

function tooLong(limit: number, pointer: string): string {
  return err(`must be less than ${limit + 1} characters`, pointer);
}

/** A composition text object: `{type: plain_text|mrkdwn, text}` within `max` characters. */
function checkText(v: unknown, pointer: string, max: number, opts: { plainOnly?: boolean } = {}): string | undefined {
  if (!isObj(v)) return err('must be an object', pointer);
  if (typeof v.type !== 'string' || !TEXT_TYPES.has(v.type)) return err('must be one of plain_text, mrkdwn', `${pointer}/type`);
  if (opts.plainOnly && v.type !== 'plain_text') return err('must be plain_text', `${pointer}/type`);
  if (typeof v.text !== 'string') return err('missing required field: text', pointer);
  if (v.text.length === 0) return err('must be more than 0 characters', `${pointer}/text`);
  if (v.text.length > max) return tooLong(max, `${pointer}/text`);
  return undefined;
}

function checkOptions(options: unknown, pointer: string): string | undefined {
  if (!Array.isArray(options)) return undefined;
  if (options.length > BLOCK_LIMITS.selectOptions) return err(`no more than ${BLOCK_LIMITS.selectOptions} items allowed`, pointer);
  for (let i = 0; i < options.length; i++) {
    const o: unknown = options[i];
    const at = `${pointer}/${i}`;
    if (!isObj(o)) return err('must be an object', at);
    const t = checkText(o.text, `${at}/text`, BLOCK_LIMITS.optionText);
    if (t) return t;
    if (typeof o.value === 'string' && o.value.length > BLOCK_LIMITS.optionValue) return tooLong(BLOCK_LIMITS.optionValue, `${at}/value`);
  }
  return undefined;
}

/** An interactive element (button, select, overflow, ...) in an actions block or a section accessory. */
function checkElement(el: unknown, pointer: string): string | undefined {
  if (!isObj(el) || typeof el.type !== 'string') return err('missing required field: type', pointer);
  if (typeof el.action_id === 'string' && el.action_id.length > BLOCK_LIMITS.actionId) return tooLong(BLOCK_LIMITS.actionId, `${pointer}/action_id`);
  switch (el.type) {
    case 'button': {
      const t = checkText(el.text, `${pointer}/text`, BLOCK_LIMITS.buttonText, { plainOnly: true });
      if (t) return t;
      if (typeof el.value === 'string' && el.value.length > BLOCK_LIMITS.buttonValue) return tooLong(BLOCK_LIMITS.buttonValue, `${pointer}/value`);
      if (typeof el.url === 'string' && el.url.length > BLOCK_LIMITS.buttonUrl) return tooLong(BLOCK_LIMITS.buttonUrl, `${pointer}/url`);
      if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') return err('must be one of primary, danger', `${pointer}/style`);
      return undefined;
    }
    case 'image':
      return checkImage(el, pointer);
    case 'static_select':
    case 'multi_static_select':
    case 'overflow':
    case 'radio_buttons':
    case 'checkboxes':
      return checkOptions(el.options, `${pointer}/options`);
    default:
      return undefined;
  }
}

function checkImage(b: Obj, pointer: string): string | undefined {
  if (typeof b.image_url === 'string' && b.image_url.length > BLOCK_LIMITS.imageUrl) return tooLong(BLOCK_LIMITS.imageUrl, `${pointer}/image_url`);
  if (typeof b.alt_text !== 'string') return err('missing required field: alt_text', pointer);
  if (b.alt_text.length > BLOCK_LIMITS.altText) return tooLong(BLOCK_LIMITS.altText, `${pointer}/alt_text`);
  return undefined;
}

function checkBlock(b: Obj, pointer: string): string | undefined {
  switch (b.type) {
    case 'section': {
      if (b.text === undefined && b.fields === undefined) return err('must provide either text or fields', pointer);
      if (b.text !== undefined) {
        const t = checkText(b.text, `${pointer}/text`, BLOCK_LIMITS.sectionText);
        if (t) return t;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields)) return err('must be an array', `${pointer}/fields`);
        if (b.fields.length > BLOCK_LIMITS.fields) return err(`no more than ${BLOCK_LIMITS.fields} items allowed`, `${pointer}/fields`);
        for (let f = 0; f < b.fields.length; f++) {
          const t = checkText(b.fields[f], `${pointer}/fields/${f}`, BLOCK_LIMITS.fieldText);
          if (t) return t;
        }
      }
      return b.accessory === undefined ? undefined : checkElement(b.accessory, `${pointer}/accessory`);
    }
    case 'header':
      return checkText(b.text, `${pointer}/text`, BLOCK_LIMITS.headerText, { plainOnly: true });
    case 'context': {
      if (!Array.isArray(b.elements) || b.elements.length === 0) return err('must provide at least 1 item', `${pointer}/elements`);
      if (b.elements.length > BLOCK_LIMITS.contextElements) return err(`no more than ${BLOCK_LIMITS.contextElements} items allowed`, `${pointer}/elements`);
      for (let e = 0; e < b.elements.length; e++) {
        const el: unknown = b.elements[e];
        const at = `${pointer}/elements/${e}`;
        const t = isObj(el) && el.type === 'image' ? checkImage(el, at) : checkText(el, at, BLOCK_LIMITS.sectionText);
        if (t) return t;
      }
      return undefined;
    }
    case 'actions': {
      if (!Array.isArray(b.elements) || b.elements.length === 0) return err('must provide at least 1 item', `${pointer}/elements`);
      if (b.elements.length > BLOCK_LIMITS.actionsElements) return err(`no more than ${BLOCK_LIMITS.actionsElements} items allowed`, `${pointer}/elements`);
      // Slack rejects two elements with the same action_id in one block: the click could not be told apart.
      const seen = new Set<string>();
      for (let e = 0; e < b.elements.length; e++) {
        const el: unknown = b.elements[e];
        const at = `${pointer}/elements/${e}`;
        const t = checkElement(el, at);
        if (t) return t;
        if (isObj(el) && typeof el.action_id === 'string') {
          if (seen.has(el.action_id)) return err(`duplicate action_id: ${el.action_id}`, `${at}/action_id`);
          seen.add(el.action_id);
        }
      }
      return undefined;
    }
    case 'image':
      return checkImage(b, pointer);
    default:
      return undefined;
  }
}

/**
 * The first Block Kit violation in `blocks`, worded like the entry Slack puts in
 * `response_metadata.messages` next to `invalid_blocks`; undefined when Slack would accept them.
 */
export function blockViolation(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return err('must be an array', '/blocks');
  if (blocks.length > BLOCK_LIMITS.blocks) return err(`no more than ${BLOCK_LIMITS.blocks} items allowed`, '/blocks');
  const blockIds = new Set<string>();
  for (let i = 0; i < blocks.length; i++) {
    const b: unknown = blocks[i];
    const at = `/blocks/${i}`;
    if (!isObj(b) || typeof b.type !== 'string') return err('missing required field: type', at);
    if (!BLOCK_TYPES.has(b.type)) return err(`unsupported type: ${b.type}`, `${at}/type`);
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string') return err('must be a string', `${at}/block_id`);
      if (b.block_id.length > BLOCK_LIMITS.blockId) return tooLong(BLOCK_LIMITS.blockId, `${at}/block_id`);
      // Duplicate block_ids are a real Slack rejection: interaction payloads key state by block_id.
      if (blockIds.has(b.block_id)) return err(`duplicate block_id: ${b.block_id}`, `${at}/block_id`);
      blockIds.add(b.block_id);
    }
    const violation = checkBlock(b, at);
    if (violation) return violation;
  }
  return undefined;
}

/**
 * Characters of text in `blocks` as the cumulative limit counts them: every `text`
 * string anywhere in the tree (section text and fields, headers, context elements,
 * button labels, markdown blocks).
 */
export function blocksTextLength(blocks: unknown): number {
  let total = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (!isObj(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'text' && typeof x === 'string') total += x.length;
      else walk(x);
    }
  };
  walk(blocks);
  return total;
}
