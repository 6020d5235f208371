/** The sandbox's events carry exactly the data fields core declares for their type, so shells that describe outputs from the table describe real events. */
import { EVENT_DATA_FIELDS, EVENT_TYPES } from '@eventsync/core';
import { describe, expect, it } from 'vitest';
import { EventFactory } from '../src/generator.js';

describe('event data fields', () => {
  const factory = new EventFactory(7, 0);

  it.each([...EVENT_TYPES])('%s: generated data has the declared keys', (type) => {
    const declared = EVENT_DATA_FIELDS[type].map((field) => field.key).sort();
    for (let i = 0; i < 5; i++) {
      const ms = Date.UTC(2026, 3, 3) + i * 1000;
      const data = factory.sampleData(type, ms, factory.id('evt_', ms));
      expect(Object.keys(data).sort()).toEqual(declared);
      for (const field of EVENT_DATA_FIELDS[type]) {
        const value = data[field.key];
        if (field.kind === 'money') expect(Number.isInteger(value)).toBe(true);
        else if (field.kind === 'list') expect(Array.isArray(value)).toBe(true);
        else if (field.kind === 'datetime') expect(Number.isNaN(Date.parse(String(value)))).toBe(false);
        else expect(typeof value).toBe('string');
      }
    }
  });
});
