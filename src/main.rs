//! The `netviz` command line: parse, dispatch, print an error once, return an exit code.

fn main() {}
