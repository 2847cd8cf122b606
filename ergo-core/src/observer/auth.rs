//! Who may read and act: the token given in the URL (`?token=`, then kept in a same-site
//! cookie), in an `x-ergo-token` header, or in a form's `token` field. Reading needs it unless
//! the observer listens on a loopback address; actions (POST) always need it, in the form or the
//! header (never the cookie alone, so another site cannot make a browser act). Owns these checks
//! and the form decoding; must not render pages.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Observer;

/// The cookie that keeps the token after a visit with `?token=`.
const COOKIE: &str = "ergo_observer_token";

/// What a request may do.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    /// The request carried the right token (its pages show action forms with it).
    pub token: Option<String>,
    /// The token came in the URL: the response sets the cookie.
    pub from_query: bool,
}

/// Constant-time comparison (the token is a secret).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn header_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-ergo-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Checks a read (GET): the token from the query, header or cookie, required off loopback.
pub(crate) fn read(
    observer: &Observer,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Access, Response> {
    let from_query = query.and_then(|q| field(q, "token"));
    let given = from_query
        .clone()
        .or_else(|| header_token(headers))
        .or_else(|| cookie_token(headers));
    let token = given.filter(|t| same(t, &observer.token));
    if token.is_none() && !observer.loopback_only {
        return Err(denied("this observer needs its token (?token=...)"));
    }
    Ok(Access {
        from_query: from_query.is_some() && token.is_some(),
        token,
    })
}

/// Checks an action (POST): the token from the form or the header, always required.
pub(crate) fn act(
    observer: &Observer,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<(), Response> {
    let given = form
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .or_else(|| header_token(headers));
    match given {
        Some(t) if same(&t, &observer.token) => Ok(()),
        _ => Err(denied("actions need the observer's token")),
    }
}

fn denied(why: &'static str) -> Response {
    (StatusCode::FORBIDDEN, why).into_response()
}

/// Adds the token cookie to `response` when the token came in the URL.
pub(crate) fn remember(access: &Access, mut response: Response) -> Response {
    if let (true, Some(token)) = (access.from_query, &access.token) {
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The value of `name` in an `application/x-www-form-urlencoded` text (a query or a form body).
pub(crate) fn field(text: &str, name: &str) -> Option<String> {
    decode_form(text)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The pairs of an `application/x-www-form-urlencoded` text.
pub(crate) fn decode_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_with_escapes_and_pluses() {
        let pairs = decode_form("token=ab%2Fc&message=%7Bhello%2C+1%7D&empty=&bad=%zz%4");
        assert_eq!(
            pairs,
            vec![
                ("token".to_string(), "ab/c".to_string()),
                ("message".to_string(), "{hello, 1}".to_string()),
                ("empty".to_string(), String::new()),
                ("bad".to_string(), "%zz%4".to_string()),
            ]
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
