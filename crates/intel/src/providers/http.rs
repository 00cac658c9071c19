//! What the HTTP providers share. (placeholder until the implementation lands)
