import type {
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	IPollFunctions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import {
	EventsyncClient,
	EventsyncError,
	PRESETS,
	TransportFailure,
	authHeaders,
	getPreset,
	lowerCaseHeaders,
	networkFailureOf,
	presetNameOrDefault,
	withoutBasePath,
	type HttpRequest,
	type HttpResponse,
	type Preset,
	type Runtime,
} from './core';
import { version } from '../package.json';

export const CREDENTIAL_NAME = 'eventsyncApi';

export type EventsyncContext = IExecuteFunctions | IHookFunctions | IPollFunctions | ILoadOptionsFunctions | IWebhookFunctions;

export interface EventsyncCredentials {
	/** The API's origin: a pasted full base URL (origin + the preset's base path) is cut back to it. */
	readonly baseUrl: string;
	readonly apiKey: string;
	readonly preset: Preset;
}

export async function readCredentials(context: EventsyncContext): Promise<EventsyncCredentials> {
	const credentials = await context.getCredentials(CREDENTIAL_NAME);
	const preset = getPreset(presetNameOrDefault(credentials.preset));
	return {
		baseUrl: withoutBasePath(String(credentials.baseUrl ?? ''), preset.basePath),
		apiKey: String(credentials.apiKey ?? ''),
		preset,
	};
}

/**
 * Header names the credential's `authenticate` adds (whatever the preset); the core's copies
 * are dropped so the key travels through n8n's credential handling only.
 */
const AUTH_HEADERS = new Set(Object.values(PRESETS).flatMap((preset) => Object.keys(authHeaders(preset.authStyle, '')).map((name) => name.toLowerCase())));

function bodyText(body: unknown): string {
	if (body === undefined || body === null) return '';
	if (typeof body === 'string') return body;
	if (body instanceof ArrayBuffer) return new TextDecoder().decode(body);
	if (ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
	return JSON.stringify(body);
}

/** The core's Runtime over n8n's helpers: HTTP through httpRequestWithAuthentication, waiting through n8n's `sleep`. */
export function n8nRuntime(context: EventsyncContext): Runtime {
	const transport = async (request: HttpRequest): Promise<HttpResponse> => {
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(request.headers)) {
			if (!AUTH_HEADERS.has(name.toLowerCase())) headers[name] = value;
		}
		const options: IHttpRequestOptions = {
			method: request.method as IHttpRequestMethods,
			url: request.url,
			headers,
			json: false,
			encoding: 'text',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: request.timeoutMs,
		};
		if (request.body !== undefined) options.body = request.body;
		let response: { statusCode?: number; headers?: unknown; body?: unknown };
		try {
			response = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL_NAME, options)) as typeof response;
		} catch (error) {
			// The core's transport contract: no HTTP answer is reported as a TransportFailure, which the core
			// turns into its NetworkError (retried, then surfaced to n8n as a NodeApiError by toNodeError).
			const failure = networkFailureOf(error);
			return await Promise.reject(new TransportFailure(`no answer from ${new URL(request.url).host} (${failure})`, failure));
		}
		return { status: Number(response.statusCode ?? 0), headers: lowerCaseHeaders(response.headers), body: bodyText(response.body) };
	};
	return {
		transport,
		sleep: async (ms: number) => await sleep(ms),
		now: () => Date.now(),
	};
}

export async function getClient(context: EventsyncContext): Promise<{ client: EventsyncClient; credentials: EventsyncCredentials }> {
	const credentials = await readCredentials(context);
	const client = new EventsyncClient(
		{
			baseUrl: credentials.baseUrl,
			apiKey: credentials.apiKey,
			preset: credentials.preset.name,
			userAgent: `n8n-nodes-eventsync/${version}`,
			// Wait out a Retry-After of up to a minute inside the node; longer waits fail the node with the rate-limit error.
			retry: { maxRetryAfterMs: 60_000, maxAttempts: 4 },
		},
		n8nRuntime(context),
	);
	return { client, credentials };
}

/** Turns anything the core throws into an n8n error carrying the API's message, code and request id. */
export function toNodeError(node: INode, error: unknown): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof EventsyncError) {
		const details: JsonObject = { message: error.message, code: error.code };
		if (error.requestId !== undefined) details.request_id = error.requestId;
		if (error.status !== undefined) details.status = error.status;
		const description = [`Code: ${error.code}`, error.requestId ? `Request ID: ${error.requestId}` : undefined].filter(Boolean).join('. ');
		return new NodeApiError(node, details, {
			message: error.message,
			description,
			...(error.status !== undefined ? { httpCode: String(error.status) } : {}),
		});
	}
	return new NodeOperationError(node, error instanceof Error ? error : String(error));
}
