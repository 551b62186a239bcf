use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(cargo_vendor_audit::run(std::env::args_os()))
}
