/** The flags and help text every command that talks to the API shares. */
import { Option, type Command } from 'commander';
import { DEFAULT_PRESET, PRESET_NAMES } from '@eventsync/core';

const CONNECTION_HELP = `
Connection (flags win over the environment):
  EVENTSYNC_BASE_URL   origin of the API, e.g. https://api.example.com
  EVENTSYNC_API_KEY    the API key (prefer this to --api-key, which other users can see in ps)
  EVENTSYNC_API_KEY_FILE a file holding the API key; sync reads it again when it changes
  EVENTSYNC_PRESET     API variant: ${PRESET_NAMES.join(', ')} (default ${DEFAULT_PRESET})
  EVENTSYNC_BASE_PATH  override the preset's base path, e.g. /api/v1/partner
  EVENTSYNC_RATE_LIMIT the plan's budget when above the preset's, e.g. read:600/1m
  EVENTSYNC_REDIS_URL  Redis that processes sharing a key use for one rate-limit budget`;

/** Adds the connection flags, and the environment they fall back to in the help's last lines. */
export function withConnection(command: Command): Command {
  return command
    .option('--base-url <url>', 'API origin (default $EVENTSYNC_BASE_URL)')
    .option('--api-key <key>', 'API key (default $EVENTSYNC_API_KEY)')
    .option('--api-key-file <path>', 'read the API key from this file; sync reads it again when it changes or on a 401 (default $EVENTSYNC_API_KEY_FILE)')
    .addOption(new Option('--preset <name>', 'API variant (default $EVENTSYNC_PRESET or integration)').choices([...PRESET_NAMES]))
    .option('--rate-limit <policies>', "your plan's budget if above the preset's, e.g. read:600/1m,write:60/1m (default $EVENTSYNC_RATE_LIMIT)")
    .option('--shared-limiter <redis-url>', 'share the rate-limit budget with every process on this key through Redis (default $EVENTSYNC_REDIS_URL)')
    .addHelpText('after', CONNECTION_HELP);
}
