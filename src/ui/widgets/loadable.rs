//! Something a page loads in the background: not asked for yet, on its
//! way, here, or failed with a message to show where it would have been.

use std::fmt::Display;

/// Something loaded in the background.
#[derive(Debug, Clone, Default)]
pub enum Loadable<T> {
    /// Not asked for yet.
    #[default]
    NotLoaded,
    /// On its way.
    Loading,
    /// Here.
    Loaded(T),
    /// The last attempt failed.
    Failed(String),
}

impl<T> Loadable<T> {
    /// Whether a load is running.
    pub fn is_loading(&self) -> bool {
        matches!(self, Self::Loading)
    }
}

/// What a finished load shows: the value, or the error in words.
pub fn loaded<T, E: Display>(result: Result<T, E>) -> Loadable<T> {
    match result {
        Ok(value) => Loadable::Loaded(value),
        Err(error) => Loadable::Failed(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_load_keeps_the_value_or_the_error_in_words() {
        let value: Loadable<u32> = loaded(Ok::<_, String>(7));
        assert!(matches!(value, Loadable::Loaded(7)));
        let failed: Loadable<u32> = loaded(Err("AWS said no.".to_owned()));
        assert!(matches!(failed, Loadable::Failed(text) if text == "AWS said no."));
        assert!(Loadable::<u32>::Loading.is_loading());
        assert!(!Loadable::<u32>::NotLoaded.is_loading());
    }
}
