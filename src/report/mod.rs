//! Feedback for submitters.
