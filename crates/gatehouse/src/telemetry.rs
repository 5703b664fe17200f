//! OpenTelemetry traces over OTLP/HTTP (protobuf), on when `otlp_endpoint` is set: the gateway
//! then opens one span per request (`gateway request`, carrying the decision, the reason, the
//! application, the Ray ID and the HTTP status), and a batch processor on the Tokio runtime
//! sends them to the collector. Off, no span is made and nothing is sent.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

/// The target of the gateway's request spans: only these go to the collector.
const GATEWAY_TRACE_TARGET: &str = gatehouse_server::GATEWAY_TRACE_TARGET;
/// How long one export may take before it is abandoned.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The tracer provider; [`Telemetry::shutdown`] sends what is still queued.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Sends the spans still queued and stops the exporter.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "stopping the OTLP trace exporter");
        }
    }
}

/// The traces endpoint of a collector's OTLP/HTTP base URL (`http://host:4318` gives
/// `http://host:4318/v1/traces`), as `OTEL_EXPORTER_OTLP_ENDPOINT` is read.
pub fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// The layer that turns the gateway's request spans into OpenTelemetry spans, and the provider
/// that exports them. Must run on a Tokio runtime (the batch processor is a task on it).
pub fn layer<S>(endpoint: &str) -> Result<(impl Layer<S> + use<S>, Telemetry), String>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(endpoint))
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| format!("the OTLP exporter for {endpoint}: {e}"))?;
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(exporter, Tokio).build())
        .with_resource(Resource::builder().with_service_name("gatehouse").build())
        .build();
    let tracer = provider.tracer("gatehouse");
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(Targets::new().with_target(GATEWAY_TRACE_TARGET, tracing::Level::INFO));
    Ok((layer, Telemetry { provider }))
}
