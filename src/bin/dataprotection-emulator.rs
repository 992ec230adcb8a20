//! The emulator binary.

fn main() {}
