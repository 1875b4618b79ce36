//! catalog (under construction).
