// Traces node-postgres (connect, query) to the OTLP endpoint the AppHost gives, so that the dashboard shows this
// client's query beside the worker's. Loaded first (`node --require ./tracing.js`), before node-postgres is required,
// so that index.js stays the tutorial's file. With no endpoint (deployed without one, or run by hand) it does nothing:
// an exporter with nowhere to send would hold the client's exit for seconds while it retries.
'use strict';

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';

// The exporter used here speaks OTLP over HTTP with protobuf only; the AppHost asks for that protocol.
if (endpoint && protocol === 'http/protobuf') {
  const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg');
  const { defaultResource, detectResources, envDetector } = require('@opentelemetry/resources');

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (which the AppHost sets) are read only through the env detector:
  // without it the spans would belong to "unknown_service:node", not to node-client.
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({ instrumentations: [new PgInstrumentation()] });

  // index.js ends with process.exit, which would drop the spans still in the batch: they are sent first, for as long
  // as the exporter's own timeout at most (its default when the setting is not a usable number of milliseconds), and
  // the exit code stays the client's, even if the event loop empties while they are sent.
  const configuredTimeout = Number(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const flushBoundMilliseconds = configuredTimeout > 0 && configuredTimeout <= 2147483647 ? configuredTimeout : 10000;
  const exit = process.exit.bind(process);
  process.exit = (code) => {
    process.exitCode = code;
    const bound = new Promise((resolve) => setTimeout(resolve, flushBoundMilliseconds).unref());
    const flushed = provider.shutdown().catch((error) => console.error(`node-client's spans were not sent: ${error.message}`));
    Promise.race([flushed, bound]).finally(() => exit(code));
  };
}
