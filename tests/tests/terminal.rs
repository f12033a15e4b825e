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

/// Reports of the child's panic: pulselog's CRITICAL line and the standard
/// hook's message each say `panicked at`.
fn reports(screen: &str) -> usize {
    screen.matches("panicked at").count()
}

#[test]
fn a_panic_is_reported_once_on_a_terminal() {
    let screen = run_on_terminal(&["panic", "auto"], &[]);
    assert_eq!(reports(&screen), 1, "{screen}");
    assert!(screen.contains("CRITICAL"), "{screen}");
    assert!(screen.contains("after the panic"), "{screen}");
    // JSON on the terminal: still pulselog's line alone.
    let screen = run_on_terminal(&["panic", "auto"], &[("PULSELOG_FORMAT", "json")]);
    assert_eq!(reports(&screen), 1, "{screen}");
    assert!(screen.contains("\"levelname\": \"CRITICAL\""), "{screen}");
    // Asked for, the standard hook's report comes too.
    let screen = run_on_terminal(&["panic", "always"], &[]);
    assert_eq!(reports(&screen), 2, "{screen}");
}

#[test]
fn a_service_keeps_the_panic_on_stderr_too() {
    let out = run(&["panic", "auto"], &[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(reports(&stdout), 1, "{stdout}");
    assert!(stdout.contains("\"levelname\": \"CRITICAL\""), "{stdout}");
    assert_eq!(reports(&stderr), 1, "{stderr}");
    let out = run(&["panic", "never"], &[]);
    assert_eq!(reports(&String::from_utf8(out.stderr).unwrap()), 0);
    assert_eq!(reports(&String::from_utf8(out.stdout).unwrap()), 1);
}
