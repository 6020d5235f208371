import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { DEFAULT_PRESET, PRESETS, PRESET_NAMES, authHeaders, getPreset, presetChoices, presetNameOrDefault } from '../shared/core';

// The credential test is declarative: its URL is an n8n expression, which cannot call this
// package's code. So the preset's base path is spelled out as a lookup, and core's
// `withoutBasePath` (packages/core/src/config.ts) is written once more as an expression;
// test/nodes.test.mjs runs both on the same inputs against the sandbox.
const BASE_PATHS = JSON.stringify(Object.fromEntries(PRESET_NAMES.map((name) => [name, PRESETS[name].basePath])));
const BASE_PATH = `(${BASE_PATHS}[$credentials.preset] || ${JSON.stringify(PRESETS[DEFAULT_PRESET].basePath)})`;
const TYPED_URL = 'String($credentials.baseUrl).trim().replace(/\\/+$/, "")';
const ORIGIN = `${TYPED_URL}.endsWith(${BASE_PATH}) ? ${TYPED_URL}.slice(0, -${BASE_PATH}.length) : ${TYPED_URL}`;

export class EventsyncApi implements ICredentialType {
	name = 'eventsyncApi';

	displayName = 'Eventsync API';

	icon: Icon = { light: 'file:../icons/eventsync.svg', dark: 'file:../icons/eventsync.dark.svg' };

	// The package's README, with no `#` anchor: n8n appends tracking parameters to documentation
	// links, which an anchor would break. The nodes' codex files (*.node.json) link the same page;
	// test/dist-scan.test.mjs keeps them equal.
	documentationUrl = 'https://github.com/eventsync/eventsync/tree/main/packages/n8n-node';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'https://api.example.com',
			hint: 'The API\'s address: its origin (https://api.example.com) or its full base URL (https://api.example.com/api/v1). http:// is fine for a local sandbox.',
			description: 'Where the Eventsync API answers. The path of the API variant below is added when it is not already there.',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The key from Eventsync (Settings → API Keys). It needs the scopes of the operations you use: events:read, webhooks:read, webhooks:write, records:write.',
			required: true,
		},
		{
			displayName: 'API Variant',
			name: 'preset',
			type: 'options',
			default: DEFAULT_PRESET,
			description: 'Which variant of the Eventsync API your account uses: pick the one whose keys look like yours. It decides how the key is sent, the API\'s path and how webhooks are signed.',
			options: presetChoices()
				.map((choice) => ({ name: choice.label, value: choice.value, description: choice.description }))
				.sort((a, b) => a.name.localeCompare(b.name)),
		},
	];

	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const preset = getPreset(presetNameOrDefault(credentials.preset));
		const header = authHeaders(preset.authStyle, String(credentials.apiKey ?? ''));
		return { ...requestOptions, headers: { ...(requestOptions.headers ?? {}), ...header } };
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ ${ORIGIN} }}`,
			url: `={{ ${BASE_PATH} }}/me`,
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The API rejected the key (401): it is revoked, expired or mistyped, a test key was used against the live API, or the API Variant sends it in the wrong header',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The key is valid but lacks a scope (403): create a key with events:read, webhooks:read, webhooks:write and records:write',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'Nothing answered at that address (404). Enter the API\'s origin, e.g. https://api.example.com, or its full base URL, e.g. https://api.example.com/api/v1, and check that the API Variant matches your account: it decides the path',
				},
			},
		],
	};
}
