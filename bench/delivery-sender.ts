/**
 * Signed webhook deliveries sent from a process of its own, as the API's dispatcher sends
 * them from another machine: a receiver measured from inside the sending process would share
 * its event loop with the sender, and every microsecond either spends would slow the other.
 *
 * `sendDeliveries` starts this file as a child with its plan in argv; the child signs each
 * delivery as the integration preset does, sends them over `concurrency` keep-alive
 * connections, and prints one JSON line: when each delivery was sent and answered, in
 * milliseconds since the epoch (`performance.timeOrigin + performance.now()`, so times taken
 * in the receiver's process compare with them).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { deliveryHeaders, PRESETS, type EventEnvelope } from '@eventsync/core';

export interface DeliveryPlan {
  readonly url: string;
  readonly secret: string;
  readonly deliveries: number;
  readonly concurrency: number;
  /** Event ids are `${idPrefix}${index}`, index zero-padded to 8 digits. */
  readonly idPrefix: string;
  /** Bytes of filler in each event's data, for a body of a realistic size. */
  readonly padBytes: number;
}

export interface DeliveryTimes {
  /** Per delivery, by index: when its request was started and when its 200 came back. */
  readonly sentAt: readonly number[];
  readonly answeredAt: readonly number[];
}

/** The id of delivery `index` under `plan`. */
export function deliveryId(plan: Pick<DeliveryPlan, 'idPrefix'>, index: number): string {
  return `${plan.idPrefix}${String(index).padStart(8, '0')}`;
}

/** Now, on a clock both processes share. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Runs the plan in a child process; rejects when any delivery is not answered 200. */
export async function sendDeliveries(plan: DeliveryPlan): Promise<DeliveryTimes> {
  // Node's default flags: NODE_OPTIONS given to a benchmark are for the process it measures.
  const { NODE_OPTIONS: _measuredFlags, ...env } = process.env;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the delivery sender exited with ${code}`);
  return JSON.parse(output) as DeliveryTimes;
}

async function send(plan: DeliveryPlan): Promise<DeliveryTimes> {
  const signature = PRESETS.integration.signature;
  const agent = new http.Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const sentAt: number[] = new Array(plan.deliveries);
  const answeredAt: number[] = new Array(plan.deliveries);
  const deliver = (index: number): Promise<void> => {
    const event: EventEnvelope = {
      id: deliveryId(plan, index),
      type: 'customer.created',
      created_at: new Date().toISOString(),
      data: { customer_id: `cus_${index}`, ...(plan.padBytes > 0 ? { pad: 'x'.repeat(plan.padBytes) } : {}) },
    };
    const body = JSON.stringify(event);
    const headers = deliveryHeaders(signature, { secrets: [plan.secret], body, timestamp: Math.floor(Date.now() / 1000), id: `del_${event.id}`, eventType: event.type });
    sentAt[index] = epochNow();
    return new Promise((resolve, reject) => {
      const request = http.request(plan.url, { method: 'POST', agent, headers: { ...headers, 'Content-Type': 'application/json' } }, (response) => {
        response.resume();
        response.on('end', () => {
          answeredAt[index] = epochNow();
          if (response.statusCode === 200) resolve();
          else reject(new Error(`delivery ${index} answered ${response.statusCode}`));
        });
      });
      request.on('error', reject);
      request.end(body);
    });
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: plan.concurrency }, async () => {
      while (next < plan.deliveries) await deliver(next++);
    }),
  );
  agent.destroy();
  return { sentAt, answeredAt };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const times = await send(JSON.parse(process.argv[2]!) as DeliveryPlan);
  process.stdout.write(`${JSON.stringify(times)}\n`);
}
