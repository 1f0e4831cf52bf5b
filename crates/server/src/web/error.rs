//! A failure, shown as a page that says what went wrong and what to do; and how a refused
//! restore (`dav::history::Refused`) reads on a page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::frame::{error_page, html_with};

/// A failure, answered as a page that says what went wrong.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        WebError {
            status,
            message: message.into(),
        }
    }

    pub fn bad(message: impl Into<String>) -> Self {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        WebError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn csrf() -> Self {
        WebError::new(
            StatusCode::FORBIDDEN,
            "This form did not come from this calvault page (its security token is missing \
             or old). Go back, reload the page and send it again.",
        )
    }
}

impl From<store::StoreError> for WebError {
    fn from(e: store::StoreError) -> Self {
        let e = dav::DavError::from(e);
        WebError::new(e.status, e.detail)
    }
}

impl From<crate::admin::AdminError> for WebError {
    fn from(e: crate::admin::AdminError) -> Self {
        WebError::bad(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        html_with(self.status, error_page(self.status, &self.message))
    }
}

/// What a page handler answers.
pub type PageResult = Result<Response, WebError>;

/// The way a refused restore reads on a page.
pub fn refusal(r: dav::history::Refused<WebError>) -> String {
    match r {
        dav::history::Refused::CalendarDeleted => {
            "The calendar is deleted: restore it under Calendars first.".into()
        }
        dav::history::Refused::CalendarNotDeleted => "The calendar is not deleted.".into(),
        dav::history::Refused::OverQuota { size, quota } => format!(
            "Restoring it ({}) would take you past your quota of {}.",
            super::frame::bytes(size),
            super::frame::bytes(quota)
        ),
        dav::history::Refused::PathTaken => {
            "Another calendar lives at that place now; rename or delete it first.".into()
        }
        dav::history::Refused::Invalid(e) => e.message,
        dav::history::Refused::Plan(e) => e.detail,
        dav::history::Refused::Store(e) => WebError::from(e).message,
    }
}
