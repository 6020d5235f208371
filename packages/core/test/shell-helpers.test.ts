/** The small pure helpers the n8n and Zapier shells share: preset fallback, auth header, base URL, preset choices. */
import { describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES, authHeaders, presetChoices, presetNameOrDefault, withoutBasePath } from '@eventsync/core';

describe('presetNameOrDefault', () => {
  it('keeps a known preset and falls back to the default for blank, unknown or non-text values', () => {
    expect(presetNameOrDefault('partner')).toBe('partner');
    expect(presetNameOrDefault(' psa ')).toBe('psa');
    expect(presetNameOrDefault('')).toBe('integration');
    expect(presetNameOrDefault('nope')).toBe('integration');
    expect(presetNameOrDefault(undefined)).toBe('integration');
    expect(presetNameOrDefault(3)).toBe('integration');
  });
});

describe('authHeaders', () => {
  it('sends the key as X-Api-Key or as a Bearer token', () => {
    expect(authHeaders('x-api-key', 'k_live_1')).toEqual({ 'X-Api-Key': 'k_live_1' });
    expect(authHeaders('bearer', 'k_live_1')).toEqual({ Authorization: 'Bearer k_live_1' });
  });
});

describe('withoutBasePath', () => {
  it.each([
    ['http://127.0.0.1:4810/api/v1', '/api/v1', 'http://127.0.0.1:4810'],
    ['http://127.0.0.1:4810/api/v1/', '/api/v1', 'http://127.0.0.1:4810'],
    [' https://api.example.com ', '/api/v1', 'https://api.example.com'],
    ['https://api.example.com/', '/api/v1', 'https://api.example.com'],
    ['https://api.example.com/api/v1/partner', '/api/v1/partner', 'https://api.example.com'],
    // Another preset's path is not this preset's: left for the API to answer (a 404 the shells explain).
    ['https://api.example.com/api/v1', '/api/v1/partner', 'https://api.example.com/api/v1'],
    ['https://proxy.example.com/eventsync', '/v1', 'https://proxy.example.com/eventsync'],
  ])('%s with %s -> %s', (url, path, expected) => {
    expect(withoutBasePath(url, path)).toBe(expected);
  });
});

describe('presetChoices', () => {
  const choices = presetChoices();

  it('lists every preset once, the default first and marked so', () => {
    expect(choices.map((choice) => choice.value).sort()).toEqual([...PRESET_NAMES].sort());
    expect(choices[0]).toMatchObject({ value: 'integration', label: 'Integration API (Default)' });
  });

  it('describes each in words a user can check: key prefix, how it is sent, base path, budget; no internal names', () => {
    for (const choice of choices) {
      const preset = PRESETS[choice.value];
      expect(choice.description).toContain(`${preset.keyPrefix}_live_`);
      expect(choice.description).toContain(preset.basePath);
      expect(choice.description).toMatch(preset.authStyle === 'bearer' ? /Bearer/ : /X-Api-Key/);
      expect(`${choice.label} ${choice.description}`).not.toMatch(/seed|contract|§/i);
      expect(choice.label).not.toMatch(/\bPsa\b/);
    }
    expect(choices.find((choice) => choice.value === 'psa')!.description).toContain('one budget of 500 requests per 10 minutes shared by the whole account');
    expect(choices.find((choice) => choice.value === 'integration')!.description).toContain('60 reads a minute and 30 writes a minute per key');
  });
});
