/**
 * What each node outputs, as the JSON Schema files n8n's own nodes ship in `__schema__/`: the
 * editor shows these fields (and lets them be mapped) before the node has ever run. n8n looks
 * for `<node dir>/__schema__/v<version>/<resource>/<operation>.json`, or `v<version>.json` for a
 * node without resources (the triggers), beside any node it loads, community packages included.
 * scripts/build.mjs writes them into dist/; test/nodes.test.mjs checks real outputs against them.
 */
import { EVENT_DATA_FIELDS, type EventDataField } from './core';

export interface JsonSchema {
	readonly type: 'object' | 'array' | 'string' | 'integer' | 'boolean';
	readonly properties?: Readonly<Record<string, JsonSchema>>;
	readonly items?: JsonSchema;
	readonly required?: readonly string[];
	readonly description?: string;
}

// Plain types only, as n8n's own schema files have them; a field that may be null (or absent)
// is left out of `required` instead of being typed as a union.
const text: JsonSchema = { type: 'string' };
const integer: JsonSchema = { type: 'integer' };
const boolean: JsonSchema = { type: 'boolean' };

function object(properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema {
	return { type: 'object', properties, required: Object.keys(properties).filter((key) => !optional.includes(key)) };
}

function fieldSchema(field: EventDataField): JsonSchema {
	if (field.kind === 'money') return { type: 'integer', description: field.label };
	if (field.kind === 'list') return { type: 'array', items: text, description: field.label };
	return { type: 'string', description: field.label };
}

/** Every data field any event type carries; which ones an event has depends on its type. */
function eventData(): JsonSchema {
	const properties: Record<string, JsonSchema> = {};
	for (const fields of Object.values(EVENT_DATA_FIELDS)) for (const field of fields) properties[field.key] ??= fieldSchema(field);
	return { type: 'object', properties, required: [] };
}

function envelope(extra: Record<string, JsonSchema> = {}): JsonSchema {
	return object({ id: text, type: text, created_at: text, data: eventData(), ...extra }, Object.keys(extra));
}

const customer = object({ id: text, email: text, name: text, phone: text, created_at: text, updated_at: text }, ['phone']);
const lead = object({ id: text, email: text, name: text, source: text, created_at: text }, ['source']);
const note = object({ id: text, customer_id: text, body: text, created_at: text });
const subscription = object(
	{
		id: text,
		url: text,
		events: { type: 'array', items: text },
		description: text,
		managed_by: text,
		active: boolean,
		consecutive_failures: integer,
		auto_disabled_at: text,
		created_at: text,
	},
	['description', 'managed_by', 'auto_disabled_at'],
);
const failure = object({ delivery_id: text, event_id: text, attempt: integer, http_status: integer, error: text, attempted_at: text }, ['http_status']);
const testDelivery = object({ delivery_id: text, http_status: integer, duration_ms: integer, ok: boolean }, ['http_status']);

/** Output schema per action: `resource/operation` -> the schema of one output item. */
export const ACTION_OUTPUTS: Readonly<Record<string, JsonSchema>> = {
	'customer/create': customer,
	'customer/get': customer,
	'customer/update': customer,
	'customer/findByEmail': customer,
	'lead/create': lead,
	'note/create': note,
	'event/getAll': envelope(),
	'subscription/getAll': subscription,
	'subscription/get': subscription,
	'subscription/enable': subscription,
	'subscription/disable': subscription,
	'subscription/delete': object({ id: text, deleted: boolean }),
	'subscription/sendTest': testDelivery,
	'subscription/listFailures': failure,
};

export const WEBHOOK_TRIGGER_OUTPUT = envelope({ delivery_id: text });
export const POLL_TRIGGER_OUTPUT = envelope();

/** The files to write, by path under dist/: every schema with n8n's `version` stamp. */
export function schemaFiles(): Record<string, unknown> {
	const files: Record<string, unknown> = {
		'nodes/EventsyncTrigger/__schema__/v1.0.0.json': { ...WEBHOOK_TRIGGER_OUTPUT, version: 1 },
		'nodes/EventsyncPollTrigger/__schema__/v1.0.0.json': { ...POLL_TRIGGER_OUTPUT, version: 1 },
	};
	for (const [action, schema] of Object.entries(ACTION_OUTPUTS)) files[`nodes/Eventsync/__schema__/v1.0.0/${action}.json`] = { ...schema, version: 1 };
	return files;
}
