import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { PRESETS, PRESET_NAMES, getPreset, isPresetName } from '../shared/core';

// `{"integration":"/api/v1",...}`: the credential test's URL is an n8n expression, so the preset's base path is spelled out here.
const BASE_PATHS = JSON.stringify(Object.fromEntries(PRESET_NAMES.map((name) => [name, PRESETS[name].basePath])));

export class EventsyncApi implements ICredentialType {
	name = 'eventsyncApi';

	displayName = 'Eventsync API';

	icon: Icon = { light: 'file:../icons/eventsync.svg', dark: 'file:../icons/eventsync.dark.svg' };

	documentationUrl = 'https://github.com/eventsync/eventsync/tree/main/packages/n8n-node#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.example.com',
			placeholder: 'https://api.example.com',
			description: 'Origin of the API, without the base path (the preset adds it)',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'A key such as wlcro_live_…; it needs the scopes of the operations you use (events:read, webhooks:read, webhooks:write, records:write)',
			required: true,
		},
		{
			displayName: 'Preset',
			name: 'preset',
			type: 'options',
			default: 'integration',
			description: 'Which variant of the API this is: it sets the base path, how the key is sent and how webhooks are signed',
			options: PRESET_NAMES.map((name) => ({
				name: name.charAt(0).toUpperCase() + name.slice(1),
				value: name,
				description: PRESETS[name].description,
			})),
		},
	];

	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const name = String(credentials.preset ?? 'integration');
		const preset = getPreset(isPresetName(name) ? name : 'integration');
		const apiKey = String(credentials.apiKey ?? '');
		const header = preset.authStyle === 'bearer' ? { Authorization: `Bearer ${apiKey}` } : { 'X-Api-Key': apiKey };
		return { ...requestOptions, headers: { ...(requestOptions.headers ?? {}), ...header } };
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ String($credentials.baseUrl).replace(/\\/+$/, "") }}',
			url: `={{ (${BASE_PATHS})[$credentials.preset] || "/api/v1" }}/me`,
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The API rejected the key (401): it is revoked, expired or mistyped, a test key was used against the live API, or the preset sends it in the wrong header',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The key is valid but lacks a scope (403): create a key with events:read, webhooks:read, webhooks:write and records:write',
				},
			},
		],
	};
}
