//! The `mpmd` binary: argv -> command -> exit code.

fn main() {
    let code = match mpmd::cli::parse(std::env::args().skip(1)) {
        Ok(invocation) => mpmd::control::execute(invocation),
        Err(message) => {
            eprintln!("mpmd: {message}");
            1
        }
    };
    std::process::exit(code);
}
