//! Small helpers shared by the emulator: identifiers, timestamps, locking and path decoding.

use std::sync::{Mutex, MutexGuard, PoisonError};

use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Locks a mutex, recovering the data if another thread panicked while holding it: the emulator's state stays
/// usable, and no request turns into a panic of its own.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sets `object[key]` when `object` is a JSON object (indexing a `Value` would panic on anything else).
pub(crate) fn set_field(object: &mut serde_json::Value, key: &str, value: serde_json::Value) {
    if let Some(object) = object.as_object_mut() {
        object.insert(key.to_owned(), value);
    }
}

/// A random version-4 UUID in its lowercase hyphenated form.
pub(crate) fn new_uuid() -> String {
    let mut value = fastrand::u128(..);
    // Version 4, variant 10xx.
    value = (value & !(0xf << 76)) | (0x4 << 76);
    value = (value & !(0x3 << 62)) | (0x2 << 62);
    let hex = format!("{value:032x}");
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    format!("{}-{}-{}-{}-{}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32))
}

/// An operation identifier in the service's own format: base64 of two GUIDs joined by `;`. Base64 of that
/// alphabet never contains `+` or `/`, so the identifier is safe as a path segment.
pub(crate) fn new_operation_id() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{};{}", new_uuid(), new_uuid()))
}

/// The signing key of polling URLs: random per process (the signature only has to look like ARM's and be
/// checkable by this process).
fn polling_url_key() -> &'static aws_lc_rs::hmac::Key {
    static KEY: std::sync::OnceLock<aws_lc_rs::hmac::Key> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let mut raw = [0u8; 32];
        for byte in &mut raw {
            *byte = fastrand::u8(..);
        }
        aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &raw)
    })
}

/// The length of the `c` parameter's bytes: base64url makes it about 2.6 KB, as in ARM's polling URLs.
const POLLING_CERTIFICATE_BYTES: usize = 1_950;

/// ARM's signed tail of a polling URL, `&t=<.NET ticks>&c=<certificate>&s=<signature>&h=<hash>` (recordings since
/// 2024 carry it on every `Azure-AsyncOperation` and `Location`): `c` is a certificate-sized base64url blob, `s`
/// an HMAC-SHA256 of the path and `t`, `h` a SHA-256 of `c`. Clients must keep the query as it is; the emulator
/// serves the URL with or without it.
pub(crate) fn signed_polling_query(path: &str, now_ms: u64) -> String {
    use aws_lc_rs::{digest, hmac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ticks = 621_355_968_000_000_000u64.saturating_add(now_ms.saturating_mul(10_000));
    let mut certificate = Vec::with_capacity(POLLING_CERTIFICATE_BYTES);
    let mut block = digest::digest(&digest::SHA256, path.as_bytes());
    while certificate.len() < POLLING_CERTIFICATE_BYTES {
        certificate.extend_from_slice(block.as_ref());
        block = digest::digest(&digest::SHA256, block.as_ref());
    }
    certificate.truncate(POLLING_CERTIFICATE_BYTES);
    let signature = hmac::sign(polling_url_key(), format!("{}|{ticks}", path.to_ascii_lowercase()).as_bytes());
    let hash = digest::digest(&digest::SHA256, &certificate);
    format!(
        "&t={ticks}&c={}&s={}&h={}",
        b64.encode(&certificate),
        b64.encode(signature.as_ref()),
        b64.encode(hash.as_ref())
    )
}

/// Whether `signature` (the `s` parameter) signs `path` with `ticks` (the `t` parameter), as
/// [`signed_polling_query`] made it.
pub(crate) fn polling_signature_matches(path: &str, ticks: &str, signature: &str) -> bool {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    b64.decode(signature).is_ok_and(|signature| {
        aws_lc_rs::hmac::verify(
            polling_url_key(),
            format!("{}|{ticks}", path.to_ascii_lowercase()).as_bytes(),
            &signature,
        )
        .is_ok()
    })
}

/// Whether `text` is a GUID in the usual 8-4-4-4-12 form (either case).
pub(crate) fn is_guid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

/// Milliseconds since the Unix epoch as a UTC date-time.
fn datetime(unix_ms: u64) -> OffsetDateTime {
    let nanos = i128::from(unix_ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// An ID as the Data Protection service spells it in its answers: `resourcegroups` and `BackupVaults`, not the
/// spec's `resourceGroups` and `backupVaults` (clients must compare IDs without case).
pub(crate) fn service_spelling(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for (index, segment) in id.split('/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        if segment.eq_ignore_ascii_case("resourceGroups") {
            out.push_str("resourcegroups");
        } else if segment.eq_ignore_ascii_case("backupVaults") {
            out.push_str("BackupVaults");
        } else {
            out.push_str(segment);
        }
    }
    out
}

/// `2021-07-07T12:48:50.3430000Z`: the seven fractional digits the service uses for start times.
pub(crate) fn format_precise(unix_ms: u64) -> String {
    let moment = datetime(unix_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}0000Z",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second(),
        moment.millisecond()
    )
}

/// `2021-07-07T12:49:22Z`: whole seconds, as the service writes end times.
pub(crate) fn format_seconds(unix_ms: u64) -> String {
    let moment = datetime(unix_ms).replace_nanosecond(0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    moment.format(&Rfc3339).unwrap_or_default()
}

/// `5/4/2021 12:50:42 AM`: the .NET general format ARM uses in `ExpiredAuthenticationToken` messages.
pub(crate) fn format_dotnet(unix_seconds: u64) -> String {
    let moment = datetime(unix_seconds.saturating_mul(1000));
    let (hour, suffix) = match moment.hour() {
        0 => (12, "AM"),
        hour @ 1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        hour => (hour - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        u8::from(moment.month()),
        moment.day(),
        moment.year(),
        hour,
        moment.minute(),
        moment.second(),
        suffix
    )
}

/// `2024-01-01 00:00:00Z`: the timestamp format of Entra error responses.
pub(crate) fn format_entra(unix_ms: u64) -> String {
    let moment = datetime(unix_ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}

/// `20210707T124850Z`, as used inside `x-ms-routing-request-id`.
pub(crate) fn format_compact(unix_ms: u64) -> String {
    let moment = datetime(unix_ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}

/// Decodes `%XX` escapes in one path segment. `None` when an escape is malformed or the bytes are not UTF-8.
pub(crate) fn percent_decode(segment: &str) -> Option<String> {
    if !segment.contains('%') {
        return Some(segment.to_owned());
    }
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let high = bytes.get(index + 1).and_then(|digit| (*digit as char).to_digit(16))?;
            let low = bytes.get(index + 2).and_then(|digit| (*digit as char).to_digit(16))?;
            decoded.push(u8::try_from(high * 16 + low).ok()?);
            index += 3;
        } else {
            decoded.push(byte);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// Azure region names compare without case and spaces: `West US` and `westus` are the same region.
pub(crate) fn normalize_location(location: &str) -> String {
    location.chars().filter(|character| !character.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Base64url without padding, as used in JSON Web Tokens.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url with or without padding.
pub(crate) fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_urls_carry_a_signed_tail_of_arms_size_that_verifies_only_for_its_path() {
        let path =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/operationStatus/op==";
        let tail = signed_polling_query(path, 1_700_000_000_000);
        let parameter = |name: &str| {
            tail.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|rest| rest.strip_prefix('='))).unwrap()
        };
        assert_eq!(parameter("t"), "638355968000000000", ".NET ticks of 2023-11-14T22:13:20Z");
        assert!((2_550..2_700).contains(&parameter("c").len()), "{}", parameter("c").len());
        assert!(polling_signature_matches(path, parameter("t"), parameter("s")));
        assert!(
            polling_signature_matches(&path.to_ascii_uppercase(), parameter("t"), parameter("s")),
            "paths match without case"
        );
        assert!(!polling_signature_matches(&path.replace("op==", "other=="), parameter("t"), parameter("s")));
        assert!(!polling_signature_matches(path, "1", parameter("s")));
        assert!(!polling_signature_matches(path, parameter("t"), "not base64!"));
    }

    #[test]
    fn uuids_are_version_four_and_unique() {
        let first = new_uuid();
        let second = new_uuid();
        assert!(is_guid(&first), "{first}");
        assert_ne!(first, second);
        assert_eq!(first.as_bytes()[14], b'4');
        assert!(matches!(first.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{first}");
    }

    #[test]
    fn operation_ids_are_path_safe_base64_of_two_guids() {
        for _ in 0..200 {
            let id = new_operation_id();
            assert!(!id.contains('/') && !id.contains('+'), "{id}");
            let decoded = base64::engine::general_purpose::STANDARD.decode(&id).unwrap();
            let text = String::from_utf8(decoded).unwrap();
            let (first, second) = text.split_once(';').unwrap();
            assert!(is_guid(first) && is_guid(second), "{text}");
        }
    }

    #[test]
    fn guid_check_rejects_near_misses() {
        assert!(is_guid("00000000-0000-0000-0000-00000000B001"));
        assert!(!is_guid("00000000-0000-0000-0000-00000000b00"));
        assert!(!is_guid("00000000x0000-0000-0000-00000000b001"));
        assert!(!is_guid("g0000000-0000-0000-0000-00000000b001"));
        assert!(!is_guid(""));
    }

    #[test]
    fn timestamps_use_the_service_formats() {
        let ms = 1_625_662_130_343; // 2021-07-07T12:48:50.343Z
        assert_eq!(format_precise(ms), "2021-07-07T12:48:50.3430000Z");
        assert_eq!(format_seconds(ms), "2021-07-07T12:48:50Z");
        assert_eq!(format_entra(ms), "2021-07-07 12:48:50Z");
        assert_eq!(format_compact(ms), "20210707T124850Z");
        assert_eq!(format_dotnet(1_620_089_442), "5/4/2021 12:50:42 AM");
        assert_eq!(format_dotnet(1_620_132_642), "5/4/2021 12:50:42 PM");
    }

    #[test]
    fn percent_decoding_handles_escapes_and_rejects_garbage() {
        assert_eq!(percent_decode("disk%20one").as_deref(), Some("disk one"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("%ff%fe"), None);
    }

    #[test]
    fn locations_compare_without_case_or_spaces() {
        assert_eq!(normalize_location("West US"), "westus");
        assert_eq!(normalize_location("westus"), "westus");
    }
}
