//! The ARM ID parser: no panic, and every ID it accepts prints in a form that parses back to the same ID.
#![no_main]

use dataprotection::arm::ids::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, GenericResourceId, ManagedDiskId, ResourceGroupId, check_name,
    same_id,
};
use libfuzzer_sys::fuzz_target;

fn round_trip<T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug>(input: &str) {
    if let Ok(id) = input.parse::<T>() {
        let printed = id.to_string();
        let again = printed.parse::<T>().ok();
        assert_eq!(again.as_ref(), Some(&id), "{input:?} printed as {printed:?} does not parse back");
        assert!(same_id(input, &printed) || input.ends_with('/'), "{input:?} and {printed:?}");
        for segment in printed.split('/').skip(1) {
            assert!(check_name(segment).is_ok(), "{printed:?} has the segment {segment:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let _ = check_name(input);
    round_trip::<ResourceGroupId>(input);
    round_trip::<ManagedDiskId>(input);
    round_trip::<BackupVaultId>(input);
    round_trip::<BackupPolicyId>(input);
    round_trip::<BackupInstanceId>(input);
    if let Ok(id) = input.parse::<GenericResourceId>() {
        let _ = (id.resource_type(), id.name(), id.to_string());
    }
});
