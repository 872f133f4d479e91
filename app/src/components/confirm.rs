//! Confirmation before destructive actions, naming the thing affected.

/// Asks the browser to confirm. Without a browser (server rendering) the answer is no.
pub fn confirm(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window()
            .confirm_with_message(text)
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}
