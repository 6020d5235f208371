/**
 * The Node transport: axios over keep-alive agents, bodies as text (the core parses), every
 * status resolved, and failures reduced to a TransportFailure that carries no request
 * headers: axios errors hold the request config, and with it the API key.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import type { NetworkFailure } from '../errors.js';
import { TransportFailure, type HttpResponse, type Transport } from '../transport.js';

export interface AxiosTransportOptions {
  /** Reuse connections; a drain of thousands of pages would otherwise pay a handshake each. Default true. */
  readonly keepAlive?: boolean;
  readonly maxSockets?: number;
}

export interface ClosableTransport extends Transport {
  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void;
}

export function createAxiosTransport(options: AxiosTransportOptions = {}): ClosableTransport {
  const agentOptions = { keepAlive: options.keepAlive ?? true, maxSockets: options.maxSockets ?? 16 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const instance: AxiosInstance = axios.create({
    httpAgent,
    httpsAgent,
    responseType: 'text',
    // Keep the body as the server sent it; JSON parsing belongs to the core.
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxRedirects: 0,
  });

  const transport = async (request: Parameters<Transport>[0]): Promise<HttpResponse> => {
    try {
      const response = await instance.request<string>({
        method: request.method,
        url: request.url,
        headers: request.headers,
        data: request.body,
        timeout: request.timeoutMs,
      });
      return { status: response.status, headers: flattenHeaders(response.headers), body: response.data ?? '' };
    } catch (error) {
      throw toTransportFailure(error);
    }
  };
  return Object.assign(transport, {
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}

function flattenHeaders(headers: object): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

const FAILURES: Record<string, NetworkFailure> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'timeout',
  ECONNABORTED: 'timeout',
  ETIMEDOUT: 'timeout',
};

function toTransportFailure(error: unknown): TransportFailure {
  if (error instanceof AxiosError) {
    const failure = FAILURES[error.code ?? ''] ?? (/socket hang up/i.test(error.message) ? 'reset' : 'other');
    // Only the code and message travel on: never error.config, which holds the headers.
    return new TransportFailure(`${error.code ?? 'ERROR'}: ${error.message}`, failure);
  }
  return new TransportFailure(error instanceof Error ? error.message : String(error), 'other');
}
