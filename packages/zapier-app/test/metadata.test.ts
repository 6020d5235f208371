/**
 * What `zapier-platform validate --without-style` does not check but Zapier's publishing
 * checks do (D012 sample, D024 sample vs outputFields, D021 "Triggers when", D018 title case,
 * D006 hooks need performList), checked on the app definition itself.
 */
import { EVENT_DATA_FIELDS, PRESETS, presetChoices } from '@eventsync/core';
import { describe, expect, it } from 'vitest';
import { App, run } from './helpers.ts';

interface Operation {
  sample?: Record<string, unknown>;
  /** Fields, and functions that give more fields from the chosen input (Zapier's dynamic output fields). */
  outputFields?: Array<{ key: string; label?: string } | ((z: unknown, bundle: unknown) => Promise<Array<{ key: string; label?: string }>>)>;
  inputFields?: Array<{ key: string; label?: string }>;
  type?: string;
  performList?: unknown;
}
interface Definition {
  key: string;
  noun?: string;
  display: { label: string; description: string; hidden?: boolean };
  operation: Operation;
}

const kinds = ['triggers', 'creates', 'searches'] as const;
const all = kinds.flatMap((kind) => Object.values((App[kind] ?? {}) as Record<string, Definition>).map((definition) => ({ kind, definition })));
const visible = all.filter(({ definition }) => !definition.display.hidden);

const SMALL_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);

/** Zapier's title case: every word capitalised except small words in the middle; "(Instant)" counts as a word. */
export function isTitleCase(label: string): boolean {
  const words = label.split(/\s+/);
  return words.every((word, index) => {
    const bare = word.replace(/^[("']+|[)"':,.]+$/g, '');
    if (bare === '') return true;
    if (index > 0 && index < words.length - 1 && SMALL_WORDS.has(bare)) return true;
    return /^[A-Z0-9]/.test(bare);
  });
}

/** A sample value for an output field key, `data__customer_id` style paths included. */
function pick(sample: Record<string, unknown>, key: string): unknown {
  return key.split('__').reduce<unknown>((value, part) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined), sample);
}

describe('title case helper', () => {
  it('tells title case from not', () => {
    expect(isTitleCase('New Event (Instant)')).toBe(true);
    expect(isTitleCase('Find or Create Customer')).toBe(true);
    expect(isTitleCase('Create lead')).toBe(false);
    expect(isTitleCase('new Event')).toBe(false);
  });
});

describe('app metadata', () => {
  it('has the operations issue 5 asks for, visible', () => {
    const keys = visible.map(({ kind, definition }) => `${kind}.${definition.key}`).sort();
    expect(keys).toEqual(
      [
        'creates.add_note',
        'creates.create_customer',
        'creates.create_lead',
        'creates.update_customer',
        'searches.find_customer',
        'triggers.appointment_scheduled',
        'triggers.invoice_paid',
        'triggers.new_customer',
        'triggers.new_event',
        'triggers.new_event_instant',
      ].sort(),
    );
    expect(App.searchOrCreates?.find_customer).toMatchObject({ search: 'find_customer', create: 'create_customer' });
  });

  it.each(visible.map(({ kind, definition }) => [`${kind}.${definition.key}`, kind, definition] as const))('%s: sample, outputFields, labels, description', (_name, kind, definition) => {
    const { sample, outputFields } = definition.operation;
    expect(sample, 'a visible operation needs a sample (D012)').toBeTypeOf('object');
    expect(outputFields?.length, 'outputFields').toBeGreaterThan(0);
    for (const field of outputFields!.filter((candidate) => typeof candidate !== 'function')) {
      expect(pick(sample!, field.key), `sample lacks outputField ${field.key} (D024)`).not.toBeUndefined();
      expect(isTitleCase(field.label ?? ''), `output label "${field.label}"`).toBe(true);
    }
    for (const field of definition.operation.inputFields ?? []) expect(isTitleCase(field.label ?? ''), `input label "${field.label}"`).toBe(true);
    expect(isTitleCase(definition.display.label), `label "${definition.display.label}" (D018)`).toBe(true);
    expect(isTitleCase(definition.noun ?? ''), `noun "${definition.noun}"`).toBe(true);
    expect(definition.display.description).toMatch(/\.$/);
    if (kind === 'triggers') {
      expect(definition.display.description, 'D021').toMatch(/^Triggers when /);
      // The sample is what a real event looks like: the envelope.
      expect(Object.keys(sample!).sort()).toEqual(['created_at', 'data', 'id', 'type']);
    }
    if (definition.operation.type === 'hook') expect(definition.operation.performList, 'D006').toBeTypeOf('function');
  });

  it('uses title case for the connection fields too', () => {
    for (const field of App.authentication!.fields as Array<{ label: string }>) expect(isTitleCase(field.label)).toBe(true);
  });

  it('describes each action with its verb, as Zapier\'s review expects: "Creates ...", "Updates ...", "Adds ...", "Finds ..."', () => {
    const actions = visible.filter(({ kind }) => kind !== 'triggers');
    expect(actions.length).toBe(5);
    for (const { definition } of actions) {
      const verb = definition.display.label.split(' ')[0]!;
      expect(definition.display.description, definition.key).toMatch(new RegExp(`^${verb}s `));
    }
  });
});

describe('trigger output fields', () => {
  const triggers = App.triggers as unknown as Record<string, Definition>;

  it.each([
    ['new_customer', 'customer.created'],
    ['appointment_scheduled', 'appointment.scheduled'],
    ['invoice_paid', 'invoice.paid'],
  ] as const)('%s labels every payload field of %s, and its sample carries exactly those', (key, type) => {
    const { outputFields, sample } = triggers[key]!.operation;
    const fields = outputFields!.filter((field): field is { key: string; label: string } => typeof field !== 'function');
    const payload = fields.filter((field) => field.key.startsWith('data__'));
    expect(payload).toEqual(EVENT_DATA_FIELDS[type].map((field) => expect.objectContaining({ key: `data__${field.key}`, label: field.label })));
    expect(Object.keys(sample!.data as object).sort()).toEqual(EVENT_DATA_FIELDS[type].map((field) => field.key).sort());
  });

  it.each(['new_event', 'new_event_instant'])('%s adds the payload fields of the chosen types', async (key) => {
    const dynamic = triggers[key]!.operation.outputFields!.find((field) => typeof field === 'function')!;
    const fields = (await run(dynamic, { inputData: { event_types: ['appointment.scheduled'] } })) as Array<{ key: string; label: string }>;
    expect(fields.map((field) => field.key)).toEqual(EVENT_DATA_FIELDS['appointment.scheduled'].map((field) => `data__${field.key}`));
    for (const field of fields) expect(isTitleCase(field.label), field.label).toBe(true);
  });
});

describe('connection form', () => {
  const fields = App.authentication!.fields as Array<{ key: string; default?: string; placeholder?: string; helpText?: string; choices?: Array<{ value: string; label: string }> }>;
  const field = (key: string) => fields.find((candidate) => candidate.key === key)!;

  it('API Variant: labelled choices in user words, the default first; the help says what tells them apart', () => {
    const { choices, helpText } = field('preset');
    expect(choices!.map((choice) => choice.label)).toEqual(presetChoices().map((choice) => choice.label));
    expect(choices![0]).toMatchObject({ value: 'integration', label: 'Integration API (Default)' });
    for (const choice of choices!) {
      expect(choice.label).not.toBe(choice.value);
      expect(helpText).toContain(`${PRESETS[choice.value as keyof typeof PRESETS].keyPrefix}_live_`);
    }
    expect(helpText).not.toMatch(/seed|§/i);
  });

  it('Base URL: a placeholder rather than a pre-filled address, and the rule: origin or full base URL', () => {
    const baseUrl = field('baseUrl');
    expect(baseUrl.default).toBeUndefined();
    expect(baseUrl.placeholder).toBe('https://api.example.com');
    expect(baseUrl.helpText).toMatch(/origin.*full base URL/);
  });
});
