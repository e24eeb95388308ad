//! Human output: miette graphical reports.
