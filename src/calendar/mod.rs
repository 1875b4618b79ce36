//! calendar (under construction).
