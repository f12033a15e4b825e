use pulselog::prelude::*;

#[logged(err(level = 40))]
fn numeric() -> Result<(), std::io::Error> {
    Ok(())
}

#[logged(err(message = " "))]
fn blank_message() -> Result<(), std::io::Error> {
    Ok(())
}

#[logged(err(level = |e: &std::io::Error| e.kind()))]
fn not_a_level() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {}
