/**
 * OpenTelemetry in the GenAI semantic conventions: with OTEL_EXPORTER_OTLP_ENDPOINT set, a real OTLP/HTTP
 * receiver on loopback gets one `chat {model}` span per stream and the gen_ai histograms, with the names,
 * units, bucket boundaries, attributes and values the conventions give; without it nothing is sent.
 */

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSluice, type SluiceInstance } from '../../packages/server/src/server/start-sluice.ts';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.ts';

interface OtlpReceiver {
  url: string;
  /** Decoded JSON bodies by path (`/v1/traces`, `/v1/metrics`), with their content types. */
  bodies: { path: string; contentType: string | undefined; body: any }[];
  close(): Promise<void>;
}

async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: OtlpReceiver['bodies'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An OTLP attribute list as a plain object (`stringValue`, `intValue` as a number, `boolValue`, `arrayValue`). */
function attributesOf(list: { key: string; value: Record<string, any> }[]): Record<string, unknown> {
  const value = (entry: Record<string, any>): unknown => {
    if ('stringValue' in entry) return entry.stringValue;
    if ('intValue' in entry) return Number(entry.intValue);
    if ('doubleValue' in entry) return entry.doubleValue;
    if ('boolValue' in entry) return entry.boolValue;
    if ('arrayValue' in entry) return (entry.arrayValue.values ?? []).map(value);
    return undefined;
  };
  return Object.fromEntries(list.map(({ key, value: entry }) => [key, value(entry)]));
}

describe('OpenTelemetry over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  let fake: FakeProvider;
  let sluice: SluiceInstance;
  let closed = false;

  before(async () => {
    [receiver, fake] = await Promise.all([startOtlpReceiver(), startFakeProvider()]);
    sluice = await startSluice({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      openaiBaseUrl: fake.url,
      openaiApiKey: 'test-key',
      // A configured name: metrics name the model only when the configuration knows it.
      routes: { 'gpt-test': { provider: 'openai' } },
      otelEndpoint: receiver.url,
      otelMetricExportIntervalMs: 60_000,
    });
  });
  after(async () => {
    if (!closed) await sluice?.close();
    await fake?.close();
    await receiver?.close();
  });

  test('a streamed chat and a failed one: their spans and gen_ai metrics arrive, as the conventions name them', async () => {
    fake.setScenario({ text: 'one two three four five', tokenIntervalMs: 5, usage: { prompt_tokens: 21, completion_tokens: 5 } });
    const streamed = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count' }] }),
    });
    await streamed.text();
    fake.setScenario({ text: 'one two three', fault: { afterTokens: 1, kind: 'cut' } });
    const cut = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'count' }] }),
    });
    await cut.text();
    await sleep(20);
    // Shutting down exports whatever is pending: the spans' batch and the metrics' last collection.
    await sluice.close();
    closed = true;

    const traces = receiver.bodies.filter((entry) => entry.path === '/v1/traces');
    const metrics = receiver.bodies.filter((entry) => entry.path === '/v1/metrics');
    assert.ok(traces.length > 0 && metrics.length > 0, `received ${receiver.bodies.map((entry) => entry.path).join(', ')}`);
    assert.match(traces[0]!.contentType ?? '', /application\/json/);

    const resourceSpans = traces.flatMap((entry) => entry.body.resourceSpans);
    assert.equal(attributesOf(resourceSpans[0].resource.attributes)['service.name'], 'sluice');
    const spans = resourceSpans.flatMap((resource: any) => resource.scopeSpans.flatMap((scope: any) => scope.spans));
    assert.equal(spans.length, 2);
    const described = spans.map((span: any) => ({ span, attributes: attributesOf(span.attributes) }));
    const ok = described.find((entry: any) => entry.attributes['error.type'] === undefined)!;
    const failed = described.find((entry: any) => entry.attributes['error.type'] !== undefined)!;
    assert.equal(ok.span.name, 'chat gpt-test');
    assert.equal(ok.span.kind, 3, 'SPAN_KIND_CLIENT');
    assert.deepEqual(
      {
        operation: ok.attributes['gen_ai.operation.name'],
        provider: ok.attributes['gen_ai.provider.name'],
        model: ok.attributes['gen_ai.request.model'],
        stream: ok.attributes['gen_ai.request.stream'],
        finishReasons: ok.attributes['gen_ai.response.finish_reasons'],
        input: ok.attributes['gen_ai.usage.input_tokens'],
        output: ok.attributes['gen_ai.usage.output_tokens'],
      },
      { operation: 'chat', provider: 'openai', model: 'gpt-test', stream: true, finishReasons: ['stop'], input: 21, output: 5 },
    );
    assert.ok(Number(ok.span.endTimeUnixNano) - Number(ok.span.startTimeUnixNano) >= 20e6, 'the span covers the stream');
    assert.equal(failed.attributes['gen_ai.request.stream'], false);
    assert.equal(failed.attributes['error.type'], 'upstream_error');
    assert.equal(failed.span.status.code, 2, 'STATUS_CODE_ERROR');

    const byName = new Map<string, any>();
    for (const entry of metrics) {
      for (const resource of entry.body.resourceMetrics) for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.name, metric);
    }
    const expected: [string, string, number[]][] = [
      ['gen_ai.client.token.usage', '{token}', [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]],
      ['gen_ai.server.request.duration', 's', [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]],
      ['gen_ai.server.time_to_first_token', 's', [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]],
      ['gen_ai.server.time_per_output_token', 's', [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5]],
    ];
    for (const [name, unit, boundaries] of expected) {
      const metric = byName.get(name);
      assert.ok(metric, `${name} arrived`);
      assert.equal(metric.unit, unit, `${name} unit`);
      assert.deepEqual(metric.histogram.dataPoints[0].explicitBounds, boundaries, `${name} buckets`);
    }
    const tokenPoints = byName.get('gen_ai.client.token.usage').histogram.dataPoints.map((point: any) => ({ ...attributesOf(point.attributes), sum: point.sum, count: Number(point.count) }));
    const input = tokenPoints.find((point: any) => point['gen_ai.token.type'] === 'input');
    const output = tokenPoints.find((point: any) => point['gen_ai.token.type'] === 'output');
    assert.equal(input['gen_ai.operation.name'], 'chat');
    assert.equal(input['gen_ai.provider.name'], 'openai');
    assert.equal(input['gen_ai.request.model'], 'gpt-test');
    assert.equal(input.count, 2);
    assert.ok(output.sum >= 5, `output tokens ${output.sum}`);
    const durations = byName.get('gen_ai.server.request.duration').histogram.dataPoints.map((point: any) => attributesOf(point.attributes));
    assert.ok(durations.some((attributes: any) => attributes['error.type'] === 'upstream_error'), 'the failure is counted with its error.type');
    const ttft = byName.get('gen_ai.server.time_to_first_token').histogram.dataPoints;
    assert.equal(ttft.reduce((sum: number, point: any) => sum + Number(point.count), 0), 1, 'time to first token of successful responses only');
  });

  test('without OTEL_EXPORTER_OTLP_ENDPOINT nothing is exported and no telemetry is loaded', async () => {
    const before = receiver.bodies.length;
    const plain = await startSluice({ port: 0, host: '127.0.0.1', logLevel: 'silent', openaiBaseUrl: fake.url, openaiApiKey: 'test-key' });
    try {
      fake.setScenario({ text: 'hi' });
      const response = await fetch(`${plain.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await response.text();
    } finally {
      await plain.close();
    }
    assert.equal(receiver.bodies.length, before);
  });
});
