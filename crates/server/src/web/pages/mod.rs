//! One module per page (or group of forms that belong to one page).

pub mod account;
pub mod admin;
pub mod admin_accounts;
pub mod calendar_list;
pub mod calendar_view;
pub mod devices;
pub mod event;
pub mod history;
pub mod import_export;
pub mod sharing;
pub mod signin;
