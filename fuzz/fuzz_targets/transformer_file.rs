#![no_main]

#[allow(dead_code)]
#[path = "../../tests/fuzz_cases/mod.rs"]
mod cases;

libfuzzer_sys::fuzz_target!(|data: &[u8]| cases::transformer_file(data));
