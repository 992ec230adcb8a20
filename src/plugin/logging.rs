//! Logs as hclog JSON lines on stderr, which is what Terraform reads from a plugin: each line becomes a log
//! entry of the plugin at its own level, shown under `TF_LOG` / `TF_LOG_PROVIDER`.
//!
//! A line looks like
//! `{"@level":"debug","@message":"sent request","@module":"dataprotection::arm","@timestamp":"2026-11-26T06:17:35.123456Z","status":200}`;
//! the fields of every enclosing span are included (the innermost wins), so a request id recorded on a span
//! shows on every line logged inside it. go-plugin only parses timestamps with exactly six fractional digits.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Libraries whose debug output is noise in a provider log: they log at most warnings.
const NOISY_TARGETS: &[&str] =
    &["h2", "hyper", "hyper_util", "rustls", "tokio_rustls", "tower", "tonic", "mio", "want", "tokio_util"];

/// The level to log at, from `TF_LOG_PROVIDER_DATAPROTECTION`, else `TF_LOG_PROVIDER`, else `TF_LOG` (the
/// same variables Terraform reads). Unset means warnings and errors only; a value that is no level name
/// (like `JSON` or `1`) means everything, as in Terraform.
pub fn level_from_env(lookup: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let value = ["TF_LOG_PROVIDER_DATAPROTECTION", "TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|key| lookup(key).filter(|v| !v.trim().is_empty()));
    let Some(value) = value else { return LevelFilter::WARN };
    match value.trim().to_ascii_uppercase().as_str() {
        "OFF" => LevelFilter::OFF,
        "ERROR" => LevelFilter::ERROR,
        "WARN" => LevelFilter::WARN,
        "INFO" => LevelFilter::INFO,
        "DEBUG" => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// The filter: `level` for everything, but no more than warnings from noisy libraries (h2, hyper, rustls,
/// tower, tonic and their kin).
pub fn filter(level: LevelFilter) -> Targets {
    let noisy = level.min(LevelFilter::WARN);
    NOISY_TARGETS.iter().fold(Targets::new().with_default(level), |targets, target| targets.with_target(*target, noisy))
}

/// Installs the hclog layer on stderr as the global subscriber, at the level the environment asks for.
/// Does nothing when a global subscriber is already set.
pub fn init() {
    let level = level_from_env(|key| std::env::var(key).ok());
    let _ = tracing_subscriber::registry().with(HclogLayer::new(std::io::stderr).with_filter(filter(level))).try_init();
}

/// A `tracing` layer writing hclog JSON lines.
#[derive(Debug)]
pub struct HclogLayer<W> {
    make_writer: W,
}

impl<W> HclogLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    /// Writes each line to a writer `make_writer` gives (for example `std::io::stderr`).
    pub fn new(make_writer: W) -> HclogLayer<W> {
        HclogLayer { make_writer }
    }
}

/// The recorded fields of a span.
struct SpanFields(Map<String, Json>);

struct JsonVisitor<'a> {
    fields: &'a mut Map<String, Json>,
    message: Option<&'a mut String>,
}

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, value: Json) {
        if field.name() == "message"
            && let Some(message) = self.message.as_deref_mut()
        {
            match value {
                Json::String(s) => *message = s,
                other => *message = other.to_string(),
            }
            return;
        }
        self.fields.insert(field.name().to_owned(), value);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(
            field,
            serde_json::Number::from_f64(value).map_or_else(|| Json::String(value.to_string()), Json::Number),
        );
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Json::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Json::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Json::String(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Json::String(format!("{value:?}")));
    }
}

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor { fields: &mut fields, message: None });
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor { fields, message: None });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.extend(span_fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut message = String::new();
        event.record(&mut JsonVisitor { fields: &mut fields, message: Some(&mut message) });
        let metadata = event.metadata();
        let line = hclog_line(*metadata.level(), &message, metadata.target(), SystemTime::now(), fields);
        let _ = self.make_writer.make_writer().write_all(line.as_bytes());
    }
}

/// One hclog JSON line (with its newline). Fields named like hclog's own keys are overridden by them.
pub fn hclog_line(level: Level, message: &str, module: &str, at: SystemTime, mut fields: Map<String, Json>) -> String {
    fields.insert("@level".into(), Json::from(level_name(level)));
    fields.insert("@message".into(), Json::from(message));
    fields.insert("@module".into(), Json::from(module));
    fields.insert("@timestamp".into(), Json::from(timestamp(at)));
    let mut line = Json::Object(fields).to_string();
    line.push('\n');
    line
}

/// hclog's level names.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// `2026-11-26T06:17:35.123456Z`: UTC, microseconds, the form go-plugin parses.
pub fn timestamp(at: SystemTime) -> String {
    let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let seconds_of_day = seconds % 86_400;
    let mut out = String::with_capacity(27);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60,
        since_epoch.subsec_micros()
    );
    out
}

/// The proleptic Gregorian date of a day number counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift to a calendar that starts on 0000-03-01, so that leap days fall at the end of each year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes one error line straight to stderr, bypassing filters: for panics, which must always be seen.
pub fn write_error_line(message: &str, fields: Map<String, Json>) {
    let line = hclog_line(Level::ERROR, message, "dataprotection::plugin", SystemTime::now(), fields);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    fn lines(buffer: &Buffer) -> Vec<Json> {
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn events_become_hclog_lines_with_span_fields() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(buffer.clone()).with_filter(filter(LevelFilter::DEBUG)));
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("request", request_id = "abc", attempt = 1);
            let _outer = outer.enter();
            let inner = tracing::info_span!("poll", attempt = 2, status = tracing::field::Empty);
            let _inner = inner.enter();
            inner.record("status", "InProgress");
            tracing::debug!(target: "dataprotection::arm", code = 200, ok = true, "sent {}", "request");
            tracing::trace!("not shown at debug");
            tracing::debug!(target: "h2::codec", "noise");
            tracing::warn!(target: "h2::codec", "shown");
        });
        let lines = lines(&buffer);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        let line = &lines[0];
        assert_eq!(line["@level"], "debug");
        assert_eq!(line["@message"], "sent request");
        assert_eq!(line["@module"], "dataprotection::arm");
        assert_eq!(line["request_id"], "abc");
        assert_eq!(line["attempt"], 2, "the innermost span wins");
        assert_eq!(line["status"], "InProgress");
        assert_eq!((line["code"].clone(), line["ok"].clone()), (Json::from(200), Json::Bool(true)));
        assert_eq!(lines[1]["@level"], "warn");
    }

    #[test]
    fn timestamps_have_microseconds_in_utc() {
        let at = UNIX_EPOCH + Duration::from_micros(1_795_673_855_123_456);
        assert_eq!(timestamp(at), "2026-11-26T06:17:35.123456Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00.000000Z");
        assert_eq!(timestamp(UNIX_EPOCH + Duration::from_secs(4_107_542_399)), "2100-02-28T23:59:59.000000Z");
    }

    #[test]
    fn level_follows_terraforms_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string())
        };
        assert_eq!(level_from_env(env(&[])), LevelFilter::WARN);
        assert_eq!(level_from_env(env(&[("TF_LOG", "debug")])), LevelFilter::DEBUG);
        assert_eq!(level_from_env(env(&[("TF_LOG", "JSON")])), LevelFilter::TRACE);
        assert_eq!(level_from_env(env(&[("TF_LOG", "INFO"), ("TF_LOG_PROVIDER", "ERROR")])), LevelFilter::ERROR);
        assert_eq!(
            level_from_env(env(&[("TF_LOG_PROVIDER", "ERROR"), ("TF_LOG_PROVIDER_DATAPROTECTION", "off")])),
            LevelFilter::OFF
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG_PROVIDER_DATAPROTECTION", ""), ("TF_LOG", "warn")])),
            LevelFilter::WARN
        );
        // Noisy libraries never log below warnings.
        let targets = filter(LevelFilter::TRACE);
        assert!(targets.would_enable("dataprotection", &Level::TRACE));
        assert!(!targets.would_enable("h2::proto", &Level::INFO));
        assert!(targets.would_enable("rustls::server", &Level::WARN));
    }
}
