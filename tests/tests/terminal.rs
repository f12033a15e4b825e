//! What a person sees on a terminal: the child runs on a pseudo-terminal of
//! its own, and the test reads the screen's bytes.

mod common;

use common::child::{run, run_on_terminal};

const ESC: char = '\u{1b}';

#[test]
fn a_terminal_gets_coloured_text_and_the_conventions_turn_it_off() {
    let screen = run_on_terminal(&["lines", "3"], &[]);
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(lines.len(), 3, "{screen}");
    for line in &lines {
        // Text (the default on a terminal), the level in green.
        assert!(line.contains("\u{1b}[32mINFO\u{1b}[0m"), "{line:?}");
    }
    for (var, value) in [("NO_COLOR", "1"), ("TERM", "dumb"), ("CLICOLOR", "0")] {
        let screen = run_on_terminal(&["lines", "3"], &[(var, value)]);
        assert_eq!(screen.lines().count(), 3, "{var}={value}: {screen}");
        assert!(!screen.contains(ESC), "{var}={value}: {screen:?}");
        assert!(screen.contains("INFO"), "{var}={value}: {screen:?}");
    }
    // Asked for in code, colour stays off whatever the terminal says.
    let screen = run_on_terminal(&["colour", "never"], &[]);
    assert!(!screen.contains(ESC), "{screen:?}");
    assert!(screen.contains("INFO"), "{screen:?}");
}

#[test]
fn a_pipe_gets_no_colour_unless_forced() {
    let text = [("PULSELOG_FORMAT", "text")];
    let out = run(&["lines", "3"], &text);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3);
    assert!(!stdout.contains(ESC), "{stdout:?}");

    let out = run(&["lines", "3"], &[text[0], ("CLICOLOR_FORCE", "1")]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3);
    assert!(
        stdout.lines().all(|l| l.contains("\u{1b}[32mINFO")),
        "{stdout:?}"
    );

    // `ColorChoice::Always` colours a pipe; NO_COLOR does not override code.
    let out = run(&["colour", "always"], &[("NO_COLOR", "1")]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("\u{1b}[32mINFO"), "{stdout:?}");
}
