//! [`Progress`]: a spinner with the elapsed time on standard error while
//! delete, recover and other waits run, only when standard error is a
//! terminal (indicatif).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the spinner turns.
const TICK: Duration = Duration::from_millis(120);

/// The progress of one wait: nothing, or a spinner drawn on a target.
#[derive(Debug)]
pub struct Progress {
    target: Option<ProgressDrawTarget>,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner on standard error when `show` (standard error is a
    /// terminal), else nothing.
    pub fn new(show: bool) -> Self {
        Self::to(show.then(ProgressDrawTarget::stderr))
    }

    /// A spinner drawn on `target`, or nothing.
    pub fn to(target: Option<ProgressDrawTarget>) -> Self {
        Self { target, bar: None }
    }

    /// No progress.
    pub fn none() -> Self {
        Self::to(None)
    }

    /// Starts the spinner with `message` (once per wait).
    pub fn start(&mut self, message: &str) {
        let Some(target) = self.target.take() else {
            return;
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(TICK);
        self.bar = Some(bar);
    }

    /// Ends the spinner and clears its line.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error ends the wait early: the spinner must not keep turning.
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::TermLike;
    use std::sync::{Arc, Mutex};

    /// A terminal that records what is written to it.
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<String>>);

    impl TermLike for Recorder {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_spinner_shows_the_message_and_elapsed_time_on_a_terminal() {
        let term = Recorder::default();
        let mut progress =
            Progress::to(Some(ProgressDrawTarget::term_like(Box::new(term.clone()))));
        progress.start("Deleting secret 'p'");
        std::thread::sleep(TICK * 2);
        progress.finish();
        let seen = term.0.lock().unwrap().clone();
        assert!(seen.contains("Deleting secret 'p' (0s)"), "{seen:?}");
    }

    #[test]
    fn nothing_is_drawn_without_a_terminal() {
        let mut progress = Progress::new(false);
        progress.start("Deleting");
        assert!(progress.bar.is_none());
        progress.finish();
    }
}
