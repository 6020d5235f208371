/**
 * The presets as a person picking one in a form sees them (the n8n credential, the Zapier
 * connection): a name, and what tells them apart in terms the person can check against their
 * own account (what their keys look like, where the API lives, what budget they get). Built
 * from the preset table, so a changed preset cannot leave a stale description behind.
 */
import { DEFAULT_PRESET, PRESETS, PRESET_NAMES, type Preset, type PresetName, type RateLimitPolicy } from './config.js';

const LABELS: Readonly<Record<PresetName, string>> = {
  integration: 'Integration API',
  ventryx: 'Ventryx API',
  psa: 'PSA API',
  partner: 'Partner API',
};

export interface PresetChoice {
  readonly value: PresetName;
  readonly label: string;
  readonly description: string;
}

/** Every preset, the default first, each labelled and described for a dropdown. */
export function presetChoices(): PresetChoice[] {
  const names = [DEFAULT_PRESET, ...PRESET_NAMES.filter((name) => name !== DEFAULT_PRESET)];
  return names.map((name) => presetChoice(PRESETS[name]));
}

export function presetChoice(preset: Preset): PresetChoice {
  const label = preset.name === DEFAULT_PRESET ? `${LABELS[preset.name]} (Default)` : LABELS[preset.name];
  const keySent = preset.authStyle === 'bearer' ? 'sent as a Bearer token' : 'sent in the X-Api-Key header';
  const { read, write } = preset.policies;
  const budget =
    read.bucket === write.bucket
      ? `one budget of ${budgetOf(read)} shared by the whole ${preset.budgetPer === 'tenant' ? 'account' : 'key'}`
      : `${budgetOf(read, 'reads')} and ${budgetOf(write, 'writes')} per ${preset.budgetPer === 'tenant' ? 'account' : 'key'}`;
  return {
    value: preset.name,
    label,
    description: `Keys look like ${preset.keyPrefix}_live_…, ${keySent}; the API lives under ${preset.basePath}; ${budget}`,
  };
}

/** `read:60/1m` -> "60 reads a minute"; `tenant:500/10m` -> "500 requests per 10 minutes". */
function budgetOf(policy: RateLimitPolicy, noun = 'requests'): string {
  const { windowMs } = policy;
  const [count, unit] =
    windowMs % 3_600_000 === 0 ? [windowMs / 3_600_000, 'hour'] : windowMs % 60_000 === 0 ? [windowMs / 60_000, 'minute'] : [windowMs / 1000, 'second'];
  return count === 1 ? `${policy.limit} ${noun} a ${unit}` : `${policy.limit} ${noun} per ${count} ${unit}s`;
}
