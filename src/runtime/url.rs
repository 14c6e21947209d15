//! The page's query string as the demos' shareable state: `?demo=playground&lr=0.1&…`.

use web_sys::UrlSearchParams;

fn params() -> Option<UrlSearchParams> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()
}

/// The value of `key` in the page's query string.
pub fn query(key: &str) -> Option<String> {
    params()?.get(key)
}

/// Sets these keys in the query string (others are kept) without reloading or adding history.
pub fn set_query(pairs: &[(&str, String)]) {
    write(pairs, false);
}

/// As [`set_query`], except that an empty value removes its key: for keys whose absence already
/// means the demo's defaults, so that a link does not carry `key=` saying nothing.
pub fn set_query_or_remove(pairs: &[(&str, String)]) {
    write(pairs, true);
}

fn write(pairs: &[(&str, String)], remove_empty: bool) {
    let (Some(window), Some(params)) = (web_sys::window(), params()) else {
        return;
    };
    for (key, value) in pairs {
        if remove_empty && value.is_empty() {
            params.delete(key);
        } else {
            params.set(key, value);
        }
    }
    let url = format!("?{}", String::from(params.to_string()));
    if let Ok(history) = window.history() {
        // Failing to update the address bar loses only the shareable link, never state.
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// A link to the page with only these keys set (e.g. another demo in the same language).
pub fn href(pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| {
            format!(
                "{key}={}",
                String::from(js_sys::encode_uri_component(value))
            )
        })
        .collect();
    format!("?{}", query.join("&"))
}

/// The value of a list in a link: the items joined by commas, or `none` for no item (an empty
/// value would read as no value, that is, the default).
pub fn list_value(items: &[&str]) -> String {
    if items.is_empty() {
        NO_ITEMS.to_string()
    } else {
        items.join(",")
    }
}

/// What [`list_value`] writes for an empty list.
pub const NO_ITEMS: &str = "none";
