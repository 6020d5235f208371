import { StoppedError, type HttpRequest, type HttpResponse, type Transport } from '@eventsync/core';
import { describe, expect, it } from 'vitest';
import { FairGate } from '../../src/run/fair-gate.js';

/** A transport whose answers the test releases one at a time, recording the order requests reached it. */
function heldTransport(): { transport: Transport; reached: string[]; answerNext: () => Promise<void> } {
  const reached: string[] = [];
  const pending: Array<() => void> = [];
  const transport: Transport = (request: HttpRequest) =>
    new Promise<HttpResponse>((resolve) => {
      reached.push(request.url);
      pending.push(() => resolve({ status: 200, headers: {}, body: '' }));
    });
  return {
    transport,
    reached,
    answerNext: async () => {
      // Let requests that were let through reach the transport, answer the oldest, and let its slot pass on.
      await new Promise((resolve) => setImmediate(resolve));
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const request = (url: string, signal?: AbortSignal): HttpRequest => ({ method: 'GET', url, headers: {}, timeoutMs: 1_000, ...(signal ? { signal } : {}) });

describe('FairGate', () => {
  it('gives a connection that asks once a turn ahead of the backlog of a busy one', async () => {
    const gate = new FairGate(1);
    const held = heldTransport();
    const busy = gate.transport('busy', held.transport);
    const quiet = gate.transport('quiet', held.transport);
    const calls = [...Array.from({ length: 10 }, (_, page) => busy(request(`busy-${page}`))), quiet(request('quiet-0'))];
    for (let i = 0; i < 11; i++) await held.answerNext();
    await Promise.all(calls);
    // Without turns the quiet connection would wait behind all ten pages of the busy one.
    expect(held.reached.slice(0, 3)).toEqual(['busy-0', 'busy-1', 'quiet-0']);
    expect(held.reached).toHaveLength(11);
  });

  it('alternates between connections that both have work waiting', async () => {
    const gate = new FairGate(1);
    const held = heldTransport();
    const a = gate.transport('a', held.transport);
    const b = gate.transport('b', held.transport);
    const calls = [a(request('a-0')), a(request('a-1')), a(request('a-2')), b(request('b-0')), b(request('b-1')), b(request('b-2'))];
    for (let i = 0; i < 6; i++) await held.answerNext();
    await Promise.all(calls);
    expect(held.reached).toEqual(['a-0', 'a-1', 'b-0', 'a-2', 'b-1', 'b-2']);
  });

  it('never has more requests on the wire than its slots', async () => {
    const gate = new FairGate(3);
    let onWire = 0;
    let most = 0;
    const transport: Transport = async () => {
      most = Math.max(most, ++onWire);
      await new Promise((resolve) => setTimeout(resolve, 2));
      onWire--;
      return { status: 200, headers: {}, body: '' };
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => gate.transport(`c${i % 7}`, transport)(request(`r${i}`))));
    expect(most).toBe(3);
    expect(gate.queued).toBe(0);
  });

  it('drops a waiting request whose caller stops, and passes the slot on', async () => {
    const gate = new FairGate(1);
    const held = heldTransport();
    const first = gate.transport('a', held.transport)(request('a-0'));
    const stop = new AbortController();
    const abandoned = gate.transport('b', held.transport)(request('b-0', stop.signal));
    const third = gate.transport('c', held.transport)(request('c-0'));
    stop.abort();
    await expect(abandoned).rejects.toBeInstanceOf(StoppedError);
    await held.answerNext();
    await held.answerNext();
    await Promise.all([first, third]);
    expect(held.reached).toEqual(['a-0', 'c-0']);
    expect(gate.queued).toBe(0);
  });
});
