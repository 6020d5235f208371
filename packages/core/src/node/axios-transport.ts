/**
 * The Node transport: axios over keep-alive agents, bodies as text (the core parses), every
 * status resolved, and failures reduced to a TransportFailure that carries no request
 * headers: axios errors hold the request config, and with it the API key.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { lowerCaseHeaders, networkFailureOf, TransportFailure, type HttpResponse, type Transport } from '../transport.js';

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
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return { status: response.status, headers: lowerCaseHeaders(response.headers), body: response.data ?? '' };
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

function toTransportFailure(error: unknown): TransportFailure {
  if (error instanceof AxiosError) {
    // Only the code and message travel on: never error.config, which holds the headers.
    return new TransportFailure(`${error.code ?? 'ERROR'}: ${error.message}`, networkFailureOf(error));
  }
  return new TransportFailure(error instanceof Error ? error.message : String(error), networkFailureOf(error));
}
