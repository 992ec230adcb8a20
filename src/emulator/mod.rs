//! An emulator of the Azure endpoints the provider uses, served over HTTPS on loopback.
