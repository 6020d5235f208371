/**
 * What the webhook trigger does with one delivery, decided without n8n: start a run with the
 * event, or answer without one. Nothing is parsed before the signature holds.
 *
 * - a bad signature: 401, no run (a forged post must not start a workflow);
 * - a signed body that is not an event envelope: 400, no run (a 2xx would tell the API it
 *   was handled; a thrown error would fail an execution for every such post);
 * - the API's `webhook.test` ping: 200, no run, except while the editor listens for a test
 *   event with All Events selected, where seeing the ping is the point;
 * - an event of a type not selected (a subscription edited elsewhere): 200, no run.
 */
import { SignatureError, TEST_EVENT_TYPE, parseEnvelope, verifyWebhook, type EventEnvelope, type HeaderBag, type RawBody, type SignatureSettings } from './core';

export interface DeliveryInput {
	readonly settings: SignatureSettings;
	readonly rawBody: RawBody;
	readonly headers: HeaderBag;
	readonly secret: string;
	readonly now: number;
	/** The chosen event types; undefined for all. */
	readonly types: readonly string[] | undefined;
	/** The editor is listening for a test event (n8n's manual mode). */
	readonly listening: boolean;
}

export type DeliveryVerdict =
	| { readonly run: true; readonly event: EventEnvelope; readonly deliveryId: string | undefined }
	| { readonly run: false; readonly status: 200 | 400 | 401; readonly body: Record<string, unknown> };

export function judgeDelivery(input: DeliveryInput): DeliveryVerdict {
	let deliveryId: string | undefined;
	try {
		({ deliveryId } = verifyWebhook({ settings: input.settings, rawBody: input.rawBody, headers: input.headers, secrets: input.secret, now: input.now }));
	} catch (error) {
		const reason = error instanceof SignatureError ? error.reason : 'invalid';
		return { run: false, status: 401, body: { error: { code: 'invalid_signature', reason } } };
	}
	const event = parseEnvelope(input.rawBody);
	if (!event) {
		return { run: false, status: 400, body: { error: { code: 'invalid_body', message: 'the body is not an event envelope ({ id, type, created_at, data })' } } };
	}
	if (event.type === TEST_EVENT_TYPE) {
		if (input.listening && input.types === undefined) return { run: true, event, deliveryId };
		return { run: false, status: 200, body: { received: true, ignored: TEST_EVENT_TYPE } };
	}
	if (input.types !== undefined && !input.types.includes(event.type)) {
		return { run: false, status: 200, body: { received: true, ignored: event.type } };
	}
	return { run: true, event, deliveryId };
}
